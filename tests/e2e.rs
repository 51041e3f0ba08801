//! End to end through the encoder: render a short video, then read it back with FFmpeg's own
//! tools (ffprobe, and ffmpeg decoding to raw YUV) and check what a player would see.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::{billreel, ffprobe, field, repo};

use billreel::encode::{self, EncodeSettings};
use billreel::record::Record;
use billreel::scene::SceneGraph;

fn out_dir(name: &str) -> PathBuf {
    common::fresh_dir("test-e2e", name)
}

fn short_graph() -> SceneGraph {
    let binder = billreel::load(&repo().join("tests/e2e/short.yaml"), None).unwrap();
    let rec = Record { id: "T1".into(), data: serde_json::json!({"id": "T1", "name": "Ada"}), line: 1 };
    binder.bind(&rec).unwrap()
}

/// Top-level MP4 box types in file order.
fn top_level_boxes(bytes: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    let mut i = 0usize;
    while i + 8 <= bytes.len() {
        let size32 = u32::from_be_bytes(bytes[i..i + 4].try_into().unwrap()) as u64;
        let kind = String::from_utf8_lossy(&bytes[i + 4..i + 8]).into_owned();
        let size = match size32 {
            1 => u64::from_be_bytes(bytes[i + 8..i + 16].try_into().unwrap()),
            0 => (bytes.len() - i) as u64,
            s => s,
        };
        out.push(kind);
        i += size as usize;
    }
    out
}

#[test]
fn short_video_plays_everywhere_and_matches_the_renderer() {
    let graph = short_graph();
    assert_eq!(graph.total_frames, 45);
    let dir = out_dir("short");
    let mp4 = dir.join("short.mp4");
    let stats = encode::render_video(&graph, &mp4, &EncodeSettings::default()).unwrap();
    assert_eq!(stats.frames, 45);

    let probe = ffprobe(&mp4, "stream=codec_name,profile,pix_fmt,width,height,r_frame_rate,nb_read_frames,color_range,color_space,color_primaries,color_transfer:format=duration,format_name");
    assert_eq!(field(&probe, "codec_name"), "h264");
    assert_eq!(field(&probe, "pix_fmt"), "yuv420p");
    assert_eq!((field(&probe, "width"), field(&probe, "height")), ("640", "360"));
    assert_eq!(field(&probe, "r_frame_rate"), "30/1");
    // Held pictures are long samples (variable frame rate): fewer samples than frames.
    let samples: u32 = field(&probe, "nb_read_frames").parse().unwrap();
    assert!(samples > 2 && samples < 45, "{samples} samples");
    assert_eq!(field(&probe, "color_range"), "tv");
    assert_eq!(field(&probe, "color_space"), "bt709");
    assert_eq!(field(&probe, "color_primaries"), "bt709");
    assert_eq!(field(&probe, "color_transfer"), "bt709");
    assert!(field(&probe, "format_name").contains("mp4"));
    let duration: f64 = field(&probe, "duration").parse().unwrap();
    assert!((duration - 1.5).abs() < 0.002, "duration {duration}");

    // +faststart: the index (moov) comes before the media data (mdat).
    let boxes = top_level_boxes(&std::fs::read(&mp4).unwrap());
    let pos =
        |k: &str| boxes.iter().position(|b| b == k).unwrap_or_else(|| panic!("no {k} box in {boxes:?}"));
    assert!(pos("moov") < pos("mdat"), "moov must precede mdat: {boxes:?}");

    // Every decoded frame matches what the renderer drew, within lossy-codec tolerance;
    // flat areas match closely.
    let (w, h) = (640usize, 360usize);
    let decoded = common::decode_rgb(&mp4, w, h, 30);
    assert_eq!(decoded.len(), 45);
    for (i, frame) in decoded.iter().enumerate() {
        let drawn = billreel::raster::to_rgba_image(&billreel::raster::render(&graph, i as u32));
        let mut total = 0.0f64;
        for (p, d) in drawn.pixels().zip(frame.iter()) {
            total += (0..3).map(|c| (p.0[c] as f32 - d[c]).abs() as f64).sum::<f64>() / 3.0;
        }
        let mean = total / (w * h) as f64;
        assert!(mean < 3.0, "frame {i}: mean difference {mean:.2} from the rendered frame");
        // A flat background point, far from any edge.
        let (x, y) = (600, 20);
        let expected = drawn.get_pixel(x as u32, y as u32).0;
        let got = frame[y * w + x];
        for c in 0..3 {
            assert!(
                (expected[c] as f32 - got[c]).abs() <= 6.0,
                "frame {i} channel {c}: drew {expected:?}, decoded {got:?}"
            );
        }
    }
    // The scenes are where the timeline says: red, green, then blue (after a fade).
    let at = |f: usize| frame_at(&decoded[f], w, 600, 20);
    assert!(at(5)[0] > 180.0 && at(5)[1] < 80.0, "frame 5 should be red: {:?}", at(5));
    assert!(at(20)[1] > 130.0 && at(20)[0] < 60.0, "frame 20 should be green: {:?}", at(20));
    assert!(at(44)[2] > 160.0 && at(44)[0] < 60.0, "frame 44 should be blue: {:?}", at(44));
}

fn frame_at(f: &[[f32; 3]], w: usize, x: usize, y: usize) -> [f32; 3] {
    f[y * w + x]
}

#[test]
fn same_inputs_give_the_same_bytes() {
    let graph = short_graph();
    let dir = out_dir("determinism");
    let (a, b) = (dir.join("a.mp4"), dir.join("b.mp4"));
    encode::render_video(&graph, &a, &EncodeSettings::default()).unwrap();
    encode::render_video(&graph, &b, &EncodeSettings::default()).unwrap();
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
}

#[test]
fn encoder_settings_change_the_output() {
    let graph = short_graph();
    let dir = out_dir("settings");
    let (lo, hi) = (dir.join("lo.mp4"), dir.join("hi.mp4"));
    let small = encode::render_video(&graph, &lo, &EncodeSettings { crf: 40, ..Default::default() }).unwrap();
    let big = encode::render_video(&graph, &hi, &EncodeSettings { crf: 10, ..Default::default() }).unwrap();
    assert!(
        small.bytes < big.bytes,
        "crf 40 ({}) should be smaller than crf 10 ({})",
        small.bytes,
        big.bytes
    );
}

/// `render` or `preview` of tests/e2e/cli.yaml (its own small timeline, with sound, captions
/// and a scene for overdue customers only) for `record_id` of tests/e2e/cli.jsonl.
fn cli_args(command: &str, record_id: &str) -> Vec<String> {
    vec![
        command.to_string(),
        repo().join("tests/e2e/cli.yaml").to_string_lossy().into_owned(),
        "--data".into(),
        repo().join("tests/e2e/cli.jsonl").to_string_lossy().into_owned(),
        "--id".into(),
        record_id.into(),
    ]
}

#[test]
fn a_video_with_sound_and_captions_renders_through_the_cli_quietly() {
    let dir = out_dir("cli");
    let mp4 = dir.join("O1.mp4");
    let mut args = cli_args("render", "O1");
    args.extend(["-o".into(), mp4.to_string_lossy().into_owned()]);
    let o = billreel(&args);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{stderr}");
    // FFmpeg's and x264's own log lines go through our logging, not raw to the terminal.
    assert!(stderr.trim().is_empty(), "unexpected output on stderr: {stderr}");
    // O1 is overdue, so the reminder plays: brand 1 s; hello 1.5 s after a 0.3 s fade;
    // reminder 1.5 s after a 0.3 s fade; outro 1 s after a cut.
    let (hello_start, reminder_start) = (1.0 - 0.3, 1.0 - 0.3 + 1.5 - 0.3);
    let outro_start = reminder_start + 1.5;
    let secs = outro_start + 1.0;
    let frames = (secs * 30.0_f64).round() as usize;
    assert_eq!(frames, 132);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains(&format!("O1.mp4: {frames} frames, {secs:.2}s")), "{stdout}");
    let probe = ffprobe(&mp4, "stream=width,height,r_frame_rate,nb_read_frames:format=duration");
    assert_eq!((field(&probe, "width"), field(&probe, "height")), ("320", "180"));
    assert_eq!(field(&probe, "r_frame_rate"), "30/1");
    let samples: usize = field(&probe, "nb_read_frames").parse().unwrap();
    assert!(samples < frames, "held pictures are long samples: {samples}");
    assert_eq!(common::frames_at(&mp4, 30), frames);
    let duration: f64 = field(&probe, "duration").parse().unwrap();
    assert!((duration - secs).abs() < 0.002, "duration {duration}, expected {secs}");
    // Sound (music and a voice-over) as long as the picture, and captions beside it, each cue
    // from its scene's start to the next scene's.
    let audio = common::ffprobe_audio(&mp4, "stream=codec_name,sample_rate,channels,duration");
    assert_eq!(
        (field(&audio, "codec_name"), field(&audio, "sample_rate"), field(&audio, "channels")),
        ("aac", "48000", "2")
    );
    let audio_secs: f64 = field(&audio, "duration").parse().unwrap();
    assert!((audio_secs - secs).abs() < 1.0 / 30.0, "sound lasts {audio_secs} s, the picture {secs} s");
    let vtt = std::fs::read_to_string(mp4.with_extension("vtt")).unwrap();
    assert_eq!(
        vtt.trim_end(),
        "WEBVTT\n\n\
         1\n00:00:00.000 --> 00:00:00.700\nBrightwave Energy\n\n\
         2\n00:00:00.700 --> 00:00:01.900\nHello Mateo,\n\n\
         3\n00:00:01.900 --> 00:00:03.400\nPayment reminder: 12 days overdue.\n\n\
         4\n00:00:03.400 --> 00:00:04.400\nThank you",
        "cues at {hello_start} s, {reminder_start} s, {outro_start} s"
    );
    // The reminder's red heading is on screen mid-scene for O1; at the same time T1, who is
    // not overdue and skips it, sees the outro with no red.
    let red_at = |id: &str| {
        let png = dir.join(format!("{id}.png"));
        let mut args = cli_args("preview", id);
        args.extend([
            "--at".into(),
            format!("{}s", reminder_start + 0.75),
            "-o".into(),
            png.to_string_lossy().into_owned(),
        ]);
        let o = billreel(&args);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let img = image::open(&png).unwrap().to_rgba8();
        assert_eq!(img.dimensions(), (320, 180));
        img.pixels().filter(|p| p.0[0] > 200 && p.0[1] < 160 && p.0[2] < 160).count()
    };
    let reddish = red_at("O1");
    assert!(reddish > 2000, "the overdue reminder's red heading should be visible ({reddish} red pixels)");
    assert_eq!(red_at("T1"), 0, "a customer who is not overdue skips the reminder");
}

#[test]
fn qr_code_scans_after_h264_encoding() {
    let binder = billreel::load(&repo().join("tests/e2e/qr.yaml"), None).unwrap();
    let link = "https://pay.brightwave.example/0042?ref=BW-2026-11-00042";
    let rec =
        Record { id: "Q1".into(), data: serde_json::json!({"id": "Q1", "links": {"pay": link}}), line: 1 };
    let graph = binder.bind(&rec).unwrap();
    let dir = out_dir("qr");
    let mp4 = dir.join("qr.mp4");
    encode::render_video(&graph, &mp4, &EncodeSettings::default()).unwrap();
    // Decode frame 15 from the MP4 as 8-bit grey, as a phone camera would see the screen.
    let o = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(&mp4)
        .args([
            "-vf",
            "fps=30,select=eq(n\\,15)",
            "-frames:v",
            "1",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "gray",
            "-",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let (w, h) = (1280usize, 720usize);
    assert_eq!(o.stdout.len(), w * h);
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| o.stdout[y * w + x]);
    let grids = img.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code in the frame");
    let (_, content) = grids[0].decode().expect("the code decodes");
    assert_eq!(content, link);
}
