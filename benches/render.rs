//! `cargo bench --bench render` (or `make bench`): where the time of one demo video goes.
//!
//! Measures, for records of the demo run: bind (storyboard + record -> scene graph), raster
//! (every frame drawn), and encode (the same frames, pre-rendered and held in memory, through
//! colour conversion, x264 and the MP4 muxer), each on one core. Prints a table; the figures
//! go into docs/BENCHMARKS.md.

use std::path::Path;
use std::time::{Duration, Instant};

use billreel::encode::{EncodeSettings, VideoEncoder};
use billreel::{raster, record};

fn main() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let binder =
        billreel::load(&repo.join("scenes/bill-explainer.yaml"), None).expect("demo storyboard loads");
    let data = repo.join("scenes/sample-billing-run.jsonl");
    let out_dir = repo.join("target/bench");
    std::fs::create_dir_all(&out_dir).unwrap();
    println!(
        "{:<8} {:>7} {:>9} {:>11} {:>12} {:>11} {:>11}",
        "record", "frames", "bind ms", "raster ms", "ms/frame", "encode ms", "total ms"
    );
    let ids = ["C0001", "C0002", "C0003", "C0004"];
    let mut sums = (Duration::ZERO, Duration::ZERO, Duration::ZERO, 0u64);
    for id in ids {
        let rec = record::find(&data, id, "id").unwrap();
        let t = Instant::now();
        let graph = binder.bind(&rec).unwrap();
        let bind = t.elapsed();

        let t = Instant::now();
        let frames: Vec<Vec<u8>> =
            (0..graph.total_frames).map(|f| raster::render(&graph, f).take()).collect();
        let raster_time = t.elapsed();

        let t = Instant::now();
        let path = out_dir.join(format!("{id}.mp4"));
        let mut enc = VideoEncoder::create(
            &path,
            graph.width,
            graph.height,
            graph.fps,
            &EncodeSettings::default(),
            None,
        )
        .unwrap();
        for f in &frames {
            enc.push(f).unwrap();
        }
        enc.finish().unwrap();
        let encode = t.elapsed();

        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        println!(
            "{id:<8} {:>7} {:>9.1} {:>11.0} {:>12.2} {:>11.0} {:>11.0}",
            graph.total_frames,
            ms(bind),
            ms(raster_time),
            ms(raster_time) / graph.total_frames as f64,
            ms(encode),
            ms(bind + raster_time + encode)
        );
        sums.0 += bind;
        sums.1 += raster_time;
        sums.2 += encode;
        sums.3 += graph.total_frames as u64;
    }
    // The encoding limit (issue 6): billreel's whole render of a video against x264 alone on
    // the very same frames, pre-rendered and held in memory as YUV (distinct frames only,
    // shared by the held ones), same settings.
    for id in ["C0001", "C0002"] {
        let rec = record::find(&data, id, "id").unwrap();
        let t = Instant::now();
        let graph = binder.bind(&rec).unwrap();
        let stats = billreel::encode::render_video(
            &graph,
            &out_dir.join(format!("{id}-full.mp4")),
            &EncodeSettings::default(),
        )
        .unwrap();
        let billreel_time = t.elapsed();
        let (w, h) = (graph.width as usize, graph.height as usize);
        let mut distinct: Vec<(Vec<u8>, Vec<u8>, Vec<u8>)> = Vec::new();
        let mut order = Vec::new();
        let mut previous = None;
        for f in 0..graph.total_frames {
            let state = raster::frame_state(&graph, f);
            if previous.as_ref() != Some(&state) {
                let rgba = raster::render(&graph, f).take();
                let (mut y, mut u, mut v) = (vec![0u8; w * h], vec![0u8; w * h / 4], vec![0u8; w * h / 4]);
                billreel::convert::rgba_to_yuv420(
                    &rgba,
                    w,
                    h,
                    billreel::convert::Planes { y: (&mut y, w), u: (&mut u, w / 2), v: (&mut v, w / 2) },
                );
                distinct.push((y, u, v));
            }
            order.push(distinct.len() - 1);
            previous = Some(state);
        }
        let t = Instant::now();
        let mut enc = VideoEncoder::create(
            &out_dir.join(format!("{id}-pure.mp4")),
            graph.width,
            graph.height,
            graph.fps,
            &EncodeSettings::default(),
            None,
        )
        .unwrap();
        for i in order {
            let (y, u, v) = &distinct[i];
            enc.push_yuv(y, u, v).unwrap();
        }
        enc.finish().unwrap();
        let pure = t.elapsed();
        println!(
            "{id}: billreel {:.2} s for the whole video (bind, draw, convert, x264, sound, mux) vs x264 alone on the same frames {:.2} s: ratio {:.2} ({} of {} frames held)",
            billreel_time.as_secs_f64(),
            pure.as_secs_f64(),
            billreel_time.as_secs_f64() / pure.as_secs_f64(),
            stats.timings.held,
            stats.frames
        );
    }

    // Colour conversion alone: one 720p demo frame, RGBA -> YUV 4:2:0, many times.
    let rec = record::find(&data, "C0001", "id").unwrap();
    let graph = binder.bind(&rec).unwrap();
    let frame = raster::render(&graph, 60).take();
    let (w, h) = (graph.width as usize, graph.height as usize);
    let (mut y, mut u, mut v) = (vec![0u8; w * h], vec![0u8; w * h / 4], vec![0u8; w * h / 4]);
    let runs = 300;
    let t = Instant::now();
    for _ in 0..runs {
        billreel::convert::rgba_to_yuv420(
            &frame,
            w,
            h,
            billreel::convert::Planes { y: (&mut y, w), u: (&mut u, w / 2), v: (&mut v, w / 2) },
        );
    }
    println!(
        "colour conversion {w}x{h} RGBA -> YUV 4:2:0 BT.709: {:.3} ms per frame",
        t.elapsed().as_secs_f64() * 1000.0 / runs as f64
    );

    let total = sums.0 + sums.1 + sums.2;
    println!(
        "share of time: bind {:.1}%, raster {:.1}%, encode (colour conversion + x264 + mux) {:.1}%; {:.2} ms per frame overall",
        100.0 * sums.0.as_secs_f64() / total.as_secs_f64(),
        100.0 * sums.1.as_secs_f64() / total.as_secs_f64(),
        100.0 * sums.2.as_secs_f64() / total.as_secs_f64(),
        total.as_secs_f64() * 1000.0 / sums.3 as f64
    );
}
