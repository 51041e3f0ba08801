//! End to end through the encoder: render a short video, then read it back with FFmpeg's own
//! tools (ffprobe, and ffmpeg decoding to raw YUV) and check what a player would see.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::{billreel, demo_args, ffprobe, field, repo};

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

#[test]
fn the_demo_renders_through_the_cli_quietly() {
    let dir = out_dir("demo");
    let mp4 = dir.join("C0002.mp4");
    let mut args = demo_args("render", "C0002");
    args.extend(["-o".into(), mp4.to_string_lossy().into_owned()]);
    let o = billreel(&args);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{stderr}");
    // FFmpeg's and x264's own log lines go through our logging, not raw to the terminal.
    assert!(stderr.trim().is_empty(), "unexpected output on stderr: {stderr}");
    assert!(String::from_utf8_lossy(&o.stdout).contains("C0002.mp4: 1050 frames, 35.00s"));
    let probe = ffprobe(&mp4, "stream=width,height,r_frame_rate,nb_read_frames:format=duration");
    assert_eq!((field(&probe, "width"), field(&probe, "height")), ("1280", "720"));
    assert_eq!(field(&probe, "r_frame_rate"), "30/1");
    let samples: u32 = field(&probe, "nb_read_frames").parse().unwrap();
    assert!(samples < 1050, "held pictures are long samples: {samples}");
    assert_eq!(common::frames_at(&mp4, 30), 1050);
    let duration: f64 = field(&probe, "duration").parse().unwrap();
    assert!((duration - 35.0).abs() < 0.002, "duration {duration}");
    // The demo has sound (music and voice-overs) as long as the picture, and captions beside it.
    let audio = common::ffprobe_audio(&mp4, "stream=codec_name,sample_rate,channels,duration");
    assert_eq!(
        (field(&audio, "codec_name"), field(&audio, "sample_rate"), field(&audio, "channels")),
        ("aac", "48000", "2")
    );
    let audio_secs: f64 = field(&audio, "duration").parse().unwrap();
    assert!((audio_secs - 35.0).abs() < 1.0 / 30.0, "sound lasts {audio_secs} s");
    let vtt = std::fs::read_to_string(mp4.with_extension("vtt")).unwrap();
    assert!(
        vtt.starts_with(
            "WEBVTT\n\n1\n00:00:00.000 --> 00:00:02.600\nBrightwave Energy\n\n2\n00:00:02.600 --> 00:00:06.200\nHello Mateo,"
        ),
        "{vtt}"
    );
    // C0002 is overdue, so the reminder scene plays: its red heading is on screen mid-scene.
    // brand 3 s; intro 4 s after a 0.4 s fade; amount 5 s after a 0.4 s fade; consumption 7 s
    // after a 0.5 s slide; the bill moved by 30%, so "why did it change" 5 s after a 0.4 s
    // fade; then a 0.4 s fade.
    let overdue_start = 3.0 - 0.4 + 4.0 + 5.0 - 0.4 + 7.0 - 0.5 + 5.0 - 0.4 - 0.4;
    let png = dir.join("reminder.png");
    let mut args = demo_args("preview", "C0002");
    args.extend([
        "--at".into(),
        format!("{}s", overdue_start + 2.0),
        "-o".into(),
        png.to_string_lossy().into_owned(),
    ]);
    let o = billreel(&args);
    assert!(o.status.success());
    let img = image::open(&png).unwrap().to_rgba8();
    assert_eq!(img.dimensions(), (1280, 720));
    let reddish = img.pixels().filter(|p| p.0[0] > 200 && p.0[1] < 160 && p.0[2] < 160).count();
    assert!(reddish > 2000, "the overdue reminder's red heading should be visible ({reddish} red pixels)");
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
