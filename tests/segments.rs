//! Held frames as long samples (variable frame rate) and shared segments spliced from the
//! batch's segment cache: the videos must show the same frames as drawing and encoding every
//! frame, last exactly as long, decode cleanly and play in a browser.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use billreel::bind::Binder;
use billreel::encode::{self, segment, EncodeSettings, SegmentCache, VideoStats};
use billreel::record::Record;
use billreel::scene::SceneGraph;
use common::{ffprobe, field, repo};

const W: usize = 320;
const H: usize = 180;
/// intro 1 s, hello 1 s (0.2 s fade in), tips 1 s (0.3 s slide), outro 1.5 s (0.5 s fade).
const FRAMES: usize = 105;

fn dir(name: &str) -> PathBuf {
    common::fresh_dir("test-segments", name)
}

fn binder() -> Binder {
    billreel::load(&repo().join("tests/segments/shared.yaml"), None).unwrap()
}

fn graph(b: &Binder, id: &str, name: &str, segment: &str) -> SceneGraph {
    let data = serde_json::json!({"id": id, "name": name, "segment": segment});
    b.bind(&Record { id: id.into(), data, line: 1 }).unwrap()
}

fn render(g: &SceneGraph, out: &Path, settings: &EncodeSettings, cache: Option<&SegmentCache>) -> VideoStats {
    encode::render_video_tagged(g, out, settings, "test", cache).unwrap()
}

/// Mean absolute difference per channel between two frames.
fn mean_diff(a: &[[f32; 3]], b: &[[f32; 3]]) -> f64 {
    let total: f64 =
        a.iter().zip(b).map(|(p, q)| (0..3).map(|c| (p[c] - q[c]).abs() as f64).sum::<f64>()).sum();
    total / (a.len() * 3) as f64
}

/// Every frame of `mp4`, decoded at 30 fps, is within the lossy tolerance of what the renderer
/// draws for `g`.
fn assert_shows(mp4: &Path, g: &SceneGraph) {
    let decoded = common::decode_rgb(mp4, W, H, 30);
    assert_eq!(decoded.len(), FRAMES, "{}", mp4.display());
    for (i, frame) in decoded.iter().enumerate() {
        let drawn = billreel::raster::to_rgba_image(&billreel::raster::render(g, i as u32));
        let drawn: Vec<[f32; 3]> =
            drawn.pixels().map(|p| [p.0[0] as f32, p.0[1] as f32, p.0[2] as f32]).collect();
        let d = mean_diff(&drawn, frame);
        assert!(d < 3.0, "{} frame {i}: mean difference {d:.2} from the drawn frame", mp4.display());
    }
}

/// Decoded at 30 fps, `a` and `b` show the same frames within the lossy tolerance: two
/// encodings, each within 3 of the drawn frames (see [`assert_shows`]), whose frame types differ
/// where a segment starts (an IDR frame where the whole video has a P-frame); measured up to
/// 1.55 with the held pictures' P-frames of the VFR pacing.
fn assert_same_frames(a: &Path, b: &Path, what: &str) {
    let (a, b) = (common::decode_rgb(a, W, H, 30), common::decode_rgb(b, W, H, 30));
    assert_eq!(a.len(), b.len(), "{what}: frame counts");
    for (i, (p, q)) in a.iter().zip(&b).enumerate() {
        let diff = mean_diff(p, q);
        assert!(diff < 2.0, "{what}: frame {i} differs by {diff:.2}");
    }
}

/// Stream and container durations are exact, ffmpeg decodes without a word, and the video
/// shows `FRAMES` frames at 30 fps.
fn assert_exact_and_clean(mp4: &Path) {
    let probe = ffprobe(mp4, "stream=duration,r_frame_rate:format=duration");
    let durations: Vec<f64> =
        probe.lines().filter_map(|l| l.strip_prefix("duration=")).map(|d| d.parse().unwrap()).collect();
    assert_eq!(durations.len(), 2, "{probe}");
    for d in durations {
        assert!((d - 3.5).abs() < 0.001, "{}: duration {d} in {probe}", mp4.display());
    }
    assert_eq!(field(&probe, "r_frame_rate"), "30/1");
    let o = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(mp4)
        .args(["-f", "null", "-"])
        .output()
        .unwrap();
    assert!(o.status.success() && o.stderr.is_empty(), "ffmpeg: {}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(common::frames_at(mp4, 30), FRAMES);
}

/// The video's sample times in frames, in presentation order.
fn sample_frames(mp4: &Path) -> Vec<i64> {
    let o = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "v:0", "-show_entries", "packet=pts_time", "-of", "csv=p=0"])
        .arg(mp4)
        .output()
        .unwrap();
    let mut pts: Vec<i64> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| (l.trim().parse::<f64>().unwrap() * 30.0).round() as i64)
        .collect();
    pts.sort_unstable();
    pts
}

#[test]
fn held_pictures_become_long_samples_that_show_the_same_frames() {
    let d = dir("vfr");
    let b = binder();
    let g = graph(&b, "A", "Ann", "flat");
    let (vfr, cfr) = (d.join("vfr.mp4"), d.join("cfr.mp4"));
    let v = render(&g, &vfr, &EncodeSettings::default(), None);
    let c = render(&g, &cfr, &EncodeSettings { cfr: true, ..Default::default() }, None);
    assert_eq!((v.frames, c.frames), (FRAMES as u32, FRAMES as u32));
    assert_eq!(c.timings.sent, FRAMES as u64);
    assert!(v.timings.sent < c.timings.sent, "held pictures are not sent again: {}", v.timings.sent);
    for mp4 in [&vfr, &cfr] {
        assert_exact_and_clean(mp4);
        assert_shows(mp4, &g);
    }
    // Decoded at 30 fps, the two show the same frames within the lossy tolerance.
    assert_same_frames(&vfr, &cfr, "VFR and CFR");
    // CFR: a sample per frame. VFR: fewer, on the 30 fps grid, never more than half a second
    // apart, the last one at the last frame.
    assert_eq!(sample_frames(&cfr), (0..FRAMES as i64).collect::<Vec<_>>());
    let s = sample_frames(&vfr);
    assert_eq!(s.len() as u64, v.timings.sent);
    assert_eq!((s[0], *s.last().unwrap()), (0, FRAMES as i64 - 1));
    assert!(s.windows(2).all(|w| w[1] > w[0] && w[1] - w[0] <= 15), "{s:?}");
}

#[test]
fn spliced_videos_show_the_same_frames_as_whole_ones() {
    let d = dir("splice");
    let b = binder();
    let (ann, bob) = (graph(&b, "A", "Ann", "flat"), graph(&b, "B", "Bob", "flat"));
    let cy = graph(&b, "C", "Cy", "flat");
    for (mode, settings) in
        [("vfr", EncodeSettings::default()), ("cfr", EncodeSettings { cfr: true, ..Default::default() })]
    {
        let cache = SegmentCache::new(64);
        // The first video is encoded whole; its pieces are noted as met.
        let first = render(&ann, &d.join(format!("{mode}-ann.mp4")), &settings, Some(&cache));
        assert_eq!((first.timings.segments_reused, first.timings.segments_encoded), (0, 1), "{mode}");
        // The second cuts out the pieces met before (the intro, the tips scene for the same
        // segment of customers, the tips-to-outro transition and the outro) and caches them;
        // its greeting and the transitions into and out of it are one segment of its own.
        let second = render(&cy, &d.join(format!("{mode}-cy.mp4")), &settings, Some(&cache));
        assert_eq!((second.timings.segments_reused, second.timings.segments_encoded), (0, 5), "{mode}");
        // The third splices those four in.
        let spliced = d.join(format!("{mode}-bob.mp4"));
        let s = render(&bob, &spliced, &settings, Some(&cache));
        assert_eq!((s.timings.segments_reused, s.timings.segments_encoded), (4, 1), "{mode}");
        let whole = d.join(format!("{mode}-bob-whole.mp4"));
        render(&bob, &whole, &settings, None);
        for mp4 in [&spliced, &whole] {
            assert_exact_and_clean(mp4);
            assert_shows(mp4, &bob);
        }
        assert_same_frames(&spliced, &whole, &format!("{mode}: spliced and whole"));
        let samples = sample_frames(&spliced);
        if settings.cfr {
            // Constant frame rate: one sample per frame, evenly spaced.
            assert_eq!(samples, (0..FRAMES as i64).collect::<Vec<_>>());
        } else {
            assert!(samples.windows(2).all(|w| w[1] > w[0] && w[1] - w[0] <= 15), "{samples:?}");
        }
        // Cached pieces are the same bytes as fresh ones. Bob's own pieces are cached from his
        // second video on, cut the same way; the third is made of cached pieces only and is
        // the very same file as the second.
        let (again, third) = (d.join(format!("{mode}-bob-2.mp4")), d.join(format!("{mode}-bob-3.mp4")));
        render(&bob, &again, &settings, Some(&cache));
        let s3 = render(&bob, &third, &settings, Some(&cache));
        assert_eq!((s3.timings.segments_reused, s3.timings.segments_encoded), (7, 0), "{mode}");
        assert_eq!(std::fs::read(&again).unwrap(), std::fs::read(&third).unwrap(), "{mode}");
        assert_exact_and_clean(&third);
    }
}

#[test]
fn a_segment_is_reused_only_when_what_it_binds_is_equal() {
    let b = binder();
    let s = EncodeSettings::default();
    let key = |g: &SceneGraph, start: u32| {
        segment::plan(g, &s)
            .into_iter()
            .find(|p| p.start == start)
            .unwrap_or_else(|| panic!("no piece at {start}"))
            .key
    };
    let ann_flat = graph(&b, "A", "Ann", "flat");
    let bob_flat = graph(&b, "B", "Bob", "flat");
    let ann_house = graph(&b, "C", "Ann", "house");
    // Pieces: intro [0,24), intro+hello [24,30), hello [30,45), hello+tips [45,54),
    // tips [54,60), tips+outro [60,75), outro [75,105).
    let starts: Vec<u32> = segment::plan(&ann_flat, &s).iter().map(|p| p.start).collect();
    assert_eq!(starts, [0, 24, 30, 45, 54, 60, 75]);
    // The intro binds nothing: the same for everyone.
    assert_eq!(key(&ann_flat, 0), key(&bob_flat, 0));
    assert_eq!(key(&ann_flat, 0), key(&ann_house, 0));
    // The greeting binds the name: another name, another key; the same name (another
    // customer with another segment), the same key.
    assert_ne!(key(&ann_flat, 30), key(&bob_flat, 30));
    assert_eq!(key(&ann_flat, 30), key(&ann_house, 30));
    // The tip binds the segment.
    assert_eq!(key(&ann_flat, 54), key(&bob_flat, 54));
    assert_ne!(key(&ann_flat, 54), key(&ann_house, 54));
    // Another encoder profile never shares.
    let cfr = EncodeSettings { cfr: true, ..Default::default() };
    assert_ne!(segment::plan(&ann_flat, &cfr)[0].key, key(&ann_flat, 0));

    // And in renders. Ann (flat) notes every piece; Bob (flat) caches the pieces met before:
    // intro, tips, outro. Ann (house) reuses the intro and outro and caches her greeting,
    // whose pieces were met with the first Ann. A second Ann (flat) then reuses everything
    // but the greeting-to-tips transition, met once before and now cached.
    let d = dir("keys");
    let cache = SegmentCache::new(64);
    let ann_again = graph(&b, "D", "Ann", "flat");
    let mut counts = Vec::new();
    for (name, g) in [
        ("ann-flat", &ann_flat),
        ("bob-flat", &bob_flat),
        ("ann-house", &ann_house),
        ("ann-again", &ann_again),
    ] {
        let out = d.join(format!("{name}.mp4"));
        let r = render(g, &out, &s, Some(&cache));
        counts.push((r.timings.segments_reused, r.timings.segments_encoded));
        assert_shows(&out, g);
    }
    assert_eq!(counts, [(0, 1), (0, 5), (2, 3), (6, 1)]);
}

#[test]
fn a_spliced_variable_frame_rate_video_plays_and_seeks_in_a_real_browser() {
    let Some(chromium) = common::chromium_or_skip() else { return };
    let d = dir("browser");
    let b = binder();
    let cache = SegmentCache::new(64);
    for (id, name) in [("A", "Ann"), ("C", "Cy")] {
        let g = graph(&b, id, name, "flat");
        render(&g, &d.join(format!("{name}.mp4")), &EncodeSettings::default(), Some(&cache));
    }
    let bob = graph(&b, "B", "Bob", "flat");
    let s = render(&bob, &d.join("bob.mp4"), &EncodeSettings::default(), Some(&cache));
    assert!(s.timings.segments_reused > 0);
    // Seek to 3.2 s (the outro, its text settled: a held picture from a cached segment), read
    // back a pixel inside a letter of "Thank you" from a canvas, then play from the start.
    let drawn = billreel::raster::to_rgba_image(&billreel::raster::render(&bob, 96));
    let white = |x: u32, y: u32| drawn.get_pixel(x, y).0[..3].iter().all(|c| *c > 230);
    let (px, py) = (60..110)
        .flat_map(|y| (16..250).map(move |x| (x, y)))
        .find(|&(x, y)| (0..3).all(|dy| (0..3).all(|dx| white(x + dx - 1, y + dy - 1))))
        .expect("a solid white spot in the outro's text");
    // The page reports once, when the video has ended or failed. After the seek it draws the
    // video to a canvas until a frame is there (alpha 255: before the decoder delivers one,
    // the canvas stays transparent), so a slow machine reads the pixel late, never wrong.
    let page = r#"<!doctype html><html><body><video id="v" src="bob.mp4" muted playsinline></video>
<canvas id="c" width="320" height="180"></canvas><script>
var v = document.getElementById("v"), log = [], sent = false;
function say(s) { log.push(s); }
function report() {
  if (sent) return;
  sent = true;
  fetch("/report", { method: "POST", body: log.join("\n") });
}
v.addEventListener("error", function () { say("error " + (v.error && v.error.code)); report(); });
v.addEventListener("loadedmetadata", function () {
  say("duration " + v.duration.toFixed(3));
  v.currentTime = 3.2;
}, { once: true });
function playFromStart() {
  v.addEventListener("timeupdate", function () {
    if (v.currentTime > 1.0 && log.indexOf("played past 1s") < 0) say("played past 1s");
  });
  v.addEventListener("ended", function () { say("ended"); report(); });
  v.currentTime = 0;
  v.play().then(function () { say("playing"); }, function (e) { say("play failed " + e); report(); });
}
v.addEventListener("seeked", function () {
  var c = document.getElementById("c").getContext("2d"), tries = 0;
  (function read() {
    c.clearRect(0, 0, 320, 180);
    c.drawImage(v, 0, 0, 320, 180);
    var p = c.getImageData(PX, PY, 1, 1).data;
    if (p[3] < 255 && ++tries < 100) { setTimeout(read, 50); return; }
    say("seeked " + v.currentTime.toFixed(3) + " pixel " + p[0] + "," + p[1] + "," + p[2] + "," + p[3]);
    playFromStart();
  })();
}, { once: true });
</script></body></html>"#
        .replace("PX", &px.to_string())
        .replace("PY", &py.to_string());
    std::fs::write(d.join("play.html"), page).unwrap();
    let (base, reports) = common::serve_with_reports(&d);
    let out = common::headless_report(
        &chromium,
        &format!("{base}/play.html"),
        &reports,
        std::time::Duration::from_secs(90),
    );
    assert!(!out.contains("error") && !out.contains("failed"), "{out}");
    assert!(out.contains("duration 3.500"), "{out}");
    assert!(out.contains("seeked 3.200"), "{out}");
    assert!(out.contains("played past 1s") && out.contains("ended"), "{out}");
    // The pixel the browser shows at 3.2 s is the drawn one (white: the outro's text is on
    // screen), within the codec's tolerance.
    let drawn = drawn.get_pixel(px, py).0;
    let shown: Vec<i32> = out
        .split("pixel ")
        .nth(1)
        .unwrap()
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .take(4)
        .map(|s| s.parse().unwrap())
        .collect();
    assert_eq!(shown[3], 255, "no frame was drawn after the seek: {out}");
    for c in 0..3 {
        assert!(
            (shown[c] - drawn[c] as i32).abs() <= 12,
            "browser shows {shown:?} at ({px}, {py}), drawn {drawn:?}"
        );
    }
}

#[test]
fn batch_splices_shared_pieces_and_honours_cfr_and_no_segment_cache() {
    let d = dir("batch");
    let data = d.join("run.jsonl");
    let lines: Vec<String> = [("A", "Ann"), ("B", "Bob"), ("C", "Cy"), ("D", "Dee"), ("E", "Eve")]
        .iter()
        .map(|(id, name)| serde_json::json!({"id": id, "name": name, "segment": "flat"}).to_string())
        .collect();
    std::fs::write(&data, lines.join("\n") + "\n").unwrap();
    let sb = repo().join("tests/segments/shared.yaml");
    let run = |out: &str, extra: &[&str]| {
        let out = d.join(out);
        let mut args = vec!["batch".to_string(), sb.to_string_lossy().into_owned(), "--data".into()];
        args.push(data.to_string_lossy().into_owned());
        args.extend(["--out".into(), out.to_string_lossy().into_owned(), "--guessable-links".into()]);
        args.extend(["--jobs".into(), "1".into(), "--timings".into()]);
        args.extend(extra.iter().map(|s| s.to_string()));
        let o = common::billreel(&args);
        let stdout = String::from_utf8_lossy(&o.stdout).into_owned();
        assert!(o.status.success(), "{stdout}{}", String::from_utf8_lossy(&o.stderr));
        assert!(stdout.contains("done: 5 ok"), "{stdout}");
        (out, stdout)
    };
    // The video of record `id`, as the manifest names it.
    let video = |out: &Path, id: &str| {
        let manifest = std::fs::read_to_string(out.join("manifest.jsonl")).unwrap();
        let line = manifest
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .find(|l| l["id"] == id)
            .unwrap_or_else(|| panic!("no line for {id}"));
        out.join(line["video"].as_str().unwrap())
    };
    // Default: the third video on splices the intro, tips and outro pieces.
    let (out, stdout) = run("default", &[]);
    assert!(stdout.contains("segment cache: 12 hits"), "{stdout}");
    assert!(stdout.contains("segments: 12 reused from the segment cache"), "{stdout}");
    for id in ["A", "C", "E"] {
        assert_exact_and_clean(&video(&out, id));
    }
    assert!(sample_frames(&video(&out, "E")).len() < FRAMES, "held pictures are long samples");
    // --cfr: every frame a sample, also when spliced.
    let (out, stdout) = run("cfr", &["--cfr"]);
    assert!(stdout.contains("segment cache: 12 hits"), "{stdout}");
    assert_eq!(sample_frames(&video(&out, "E")), (0..FRAMES as i64).collect::<Vec<_>>());
    // --no-segment-cache: whole videos, no cache.
    let (out, stdout) = run("whole", &["--no-segment-cache"]);
    assert!(
        !stdout.contains("segment cache:") && !stdout.contains("reused from the segment cache"),
        "{stdout}"
    );
    assert_exact_and_clean(&video(&out, "E"));
}

/// The sound track's AAC packets: times, flags and the MD5 of their bytes, one line each.
fn sound_packets(mp4: &Path) -> String {
    let o = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "a:0", "-show_data_hash", "MD5"])
        .args(["-show_entries", "packet=pts,dts,duration,flags,data_hash", "-of", "csv=p=0"])
        .arg(mp4)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap()
}

#[test]
fn a_sound_track_is_copied_only_when_the_whole_mix_is_the_same() {
    let d = dir("sound");
    let b = billreel::load(&repo().join("tests/segments/sound.yaml"), None).unwrap();
    let graph = |id: &str, name: &str, lang: &str, segment: &str| {
        let data = serde_json::json!({"id": id, "name": name, "lang": lang, "segment": segment});
        b.bind(&Record { id: id.into(), data, line: 1 }).unwrap()
    };
    let cache = SegmentCache::new(64);
    let s = EncodeSettings::default();
    let ann = graph("A", "Ann", "en", "flat");
    let mut copied = Vec::new();
    let mut out = |name: &str, g: &SceneGraph| {
        let mp4 = d.join(format!("{name}.mp4"));
        copied.push(render(g, &mp4, &s, Some(&cache)).timings.sounds_reused);
        mp4
    };
    let first = out("ann", &ann);
    // Another name, the same voice-over at the same time, the same length: copied.
    let bob = graph("B", "Bob", "en", "flat");
    let bob_copied = out("bob", &bob);
    // Another voice-over (Italian), or the same one in a longer video (the tips scene moves
    // the outro and the music's fade-out): encoded.
    out("cy", &graph("C", "Cy", "it", "flat"));
    out("dee", &graph("D", "Dee", "en", "house"));
    // Seen once before each, both are copied now.
    out("cy-2", &graph("E", "Cy", "it", "flat"));
    out("dee-2", &graph("F", "Dee", "en", "house"));
    assert_eq!(copied, [0, 1, 0, 0, 1, 1]);
    let stats = cache.stats();
    assert_eq!((stats.sound_hits, stats.sounds), (3, 3));

    // The copy is the same packets at the same times as the track encoded afresh, for the
    // first video and for a video of its own; the videos play clean to the last sample.
    let whole = d.join("bob-whole.mp4");
    render(&bob, &whole, &s, None);
    let packets = sound_packets(&bob_copied);
    assert!(packets.lines().count() > 100, "{packets}");
    assert_eq!(packets, sound_packets(&first));
    assert_eq!(packets, sound_packets(&whole));
    assert_ne!(packets, sound_packets(&d.join("cy.mp4")));
    for mp4 in [&bob_copied, &whole] {
        let probe = common::ffprobe_audio(mp4, "stream=codec_name,duration");
        assert_eq!(field(&probe, "codec_name"), "aac");
        let secs = bob.total_frames as f64 / 30.0;
        assert!((field(&probe, "duration").parse::<f64>().unwrap() - secs).abs() < 0.03, "{probe}");
        let o =
            Command::new("ffmpeg").args(["-v", "error", "-i"]).arg(mp4).args(["-f", "null", "-"]).output();
        let o = o.unwrap();
        assert!(o.status.success() && o.stderr.is_empty(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    // Bob's copy and his whole video are one file but for the pictures' segments: decoded,
    // they show the same frames.
    assert_same_frames(&bob_copied, &whole, "copied sound: spliced and whole");

    // The very same file, whether the sound is encoded or copied: the pictures (which do not
    // show the language) all come from the cache, the Polish voice-over is new the first time
    // and copied the second, and is written at the same places among the pictures.
    let cache = SegmentCache::new(64);
    for (k, lang) in ["en", "en", "pl", "pl"].iter().enumerate() {
        let r = render(&graph("G", "Gus", lang, "flat"), &d.join(format!("gus-{k}.mp4")), &s, Some(&cache));
        assert_eq!(r.timings.sounds_reused, [0, 1, 0, 1][k], "video {k}");
    }
    let (fresh, copy) =
        (std::fs::read(d.join("gus-2.mp4")).unwrap(), std::fs::read(d.join("gus-3.mp4")).unwrap());
    assert!(fresh == copy, "a copied sound track gives another file");
}
