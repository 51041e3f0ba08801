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
