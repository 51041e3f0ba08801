//! `cargo bench --bench render` (or `make bench`): billreel against the encoder alone.
//!
//! For demo records, measured in CPU time (getrusage) in this one process:
//! - raster only: every frame drawn from scratch, and with the settled layers kept;
//! - the encoding limit: the very same frames, pre-rendered and held in memory as YUV, encoded
//!   at constant frame rate with the same settings and the same sound and nothing else;
//! - billreel's whole work per video (bind, draw, convert, encode, sound, mux) with `--cfr`
//!   and no segment cache, and by default (held pictures as long samples, segment cache on).
//!
//! By default the segment cache is warm, as in a long billing run, where each shared piece is
//! encoded a couple of times in the first videos and then only spliced, and each sound mix
//! (a language's voice-overs at the times one layout puts them) is encoded once and then
//! copied: before the measured records, the cache sees the rest of the sample run, unmeasured.
//!
//! Prints the ratios to the pure encode; the figures go into docs/BENCHMARKS.md.
//! `cargo bench --bench render -- demo` (or `raster`, `reminder`) runs one part only.

use std::path::Path;
use std::time::Duration;

use billreel::encode::{self, EncodeSettings, SegmentCache, VideoEncoder};
use billreel::scene::SceneGraph;
use billreel::{raster, record};

/// CPU time used by this process so far (user + system).
fn cpu() -> Duration {
    // SAFETY: getrusage fills the struct we hand it.
    let u = unsafe {
        let mut u: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut u);
        u
    };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(u.ru_utime) + tv(u.ru_stime)
}

/// How many times each measurement runs (the least counts): `BENCH_REPEATS`, default 5 (this
/// shared machine has slow spells of a few seconds that can hit three runs in a row).
fn repeats() -> usize {
    std::env::var("BENCH_REPEATS").ok().and_then(|v| v.parse().ok()).unwrap_or(5).max(1)
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

fn measure<T>(work: impl FnOnce() -> T) -> (T, Duration) {
    let t = cpu();
    let out = work();
    (out, cpu() - t)
}

/// `graph`'s frames pre-rendered to YUV 4:2:0 and held in memory: the distinct pictures, and
/// for every frame the index of its picture (held frames share one).
struct Prepared {
    distinct: Vec<(Vec<u8>, Vec<u8>, Vec<u8>)>,
    order: Vec<usize>,
}

fn prepare(graph: &SceneGraph) -> Prepared {
    let (w, h) = (graph.width as usize, graph.height as usize);
    let mut distinct: Vec<(Vec<u8>, Vec<u8>, Vec<u8>)> = Vec::new();
    let mut order = Vec::new();
    let mut previous = None;
    for f in 0..graph.total_frames {
        let state = raster::frame_state(graph, f);
        if previous.as_ref() != Some(&state) {
            let rgba = raster::render(graph, f).take();
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
    Prepared { distinct, order }
}

/// Encodes the prepared frames at constant frame rate with `settings`, with `graph`'s sound or
/// not. Returns the CPU time of the encoding alone.
fn pure_encode(
    graph: &SceneGraph,
    frames: &Prepared,
    out: &Path,
    settings: &EncodeSettings,
    sound: bool,
) -> Duration {
    let audio = encode::sound_track(graph).filter(|_| sound);
    let cfr = EncodeSettings { cfr: true, ..settings.clone() };
    let ((), spent) = measure(|| {
        let mut enc = VideoEncoder::create(out, graph.width, graph.height, graph.fps, &cfr, audio).unwrap();
        for &i in &frames.order {
            let (y, u, v) = &frames.distinct[i];
            enc.push_yuv(y, u, v).unwrap();
        }
        enc.finish().unwrap();
    });
    spent
}

fn main() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let binder =
        billreel::load(&repo.join("scenes/bill-explainer.yaml"), None).expect("demo storyboard loads");
    let data = repo.join("scenes/sample-billing-run.jsonl");
    let out_dir = repo.join("target/bench");
    std::fs::create_dir_all(&out_dir).unwrap();
    let ids = ["C0001", "C0002", "C0003", "C0004"];
    // Before the measured records, the cache sees the rest of the sample run (20 records of
    // six locales and four layouts), as a long run would have by then.
    let warm: Vec<String> = (5..=24).map(|n| format!("C{n:04}")).collect();
    let warm: Vec<&str> = warm.iter().map(String::as_str).collect();
    let only: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    let part = |name: &str| only.is_empty() || only.iter().any(|o| o == name);

    if part("raster") {
        raster_only(&binder, &ids, &data);
    }
    if part("demo") {
        ratios(&binder, &ids, &warm, &data, &out_dir, "demo storyboard");
    }
    if part("reminder") {
        let reminder =
            billreel::load(&repo.join("scenes/payment-reminder.yaml"), None).expect("reminder loads");
        let eight = ["C0001", "C0002", "C0003", "C0004", "C0005", "C0006", "C0007", "C0008"];
        ratios(&reminder, &eight, &[], &data, &out_dir, "payment reminder (shared intro and outro)");
    }
}

/// Frames per second of drawing alone, from scratch and with the settled layers kept.
fn raster_only(binder: &billreel::bind::Binder, ids: &[&str], data: &Path) {
    println!("== raster only (one core, every frame of the video) ==");
    println!(
        "{:<8} {:>7} {:>22} {:>26}",
        "record", "frames", "from scratch (fps)", "settled layers kept (fps)"
    );
    let (mut frames_total, mut scratch_total, mut kept_total) = (0u64, Duration::ZERO, Duration::ZERO);
    for id in ids {
        let graph = binder.bind(&record::find(data, id, "id").unwrap()).unwrap();
        let mut canvas = tiny_skia::Pixmap::new(graph.width, graph.height).unwrap();
        // The renderer's caches (backgrounds, sprites) kept, as in a video; no settled layers.
        let mut cache = raster::Cache::default();
        let ((), scratch) = measure(|| {
            (0..graph.total_frames).for_each(|f| raster::render_into(&graph, f, &mut canvas, &mut cache))
        });
        let mut layers = raster::Layers::default();
        let ((), kept) = measure(|| {
            (0..graph.total_frames).for_each(|f| {
                raster::render_into_cached(&graph, f, &mut canvas, &mut layers);
            })
        });
        let n = graph.total_frames as f64;
        println!("{id:<8} {:>7} {:>22.0} {:>26.0}", graph.total_frames, n / secs(scratch), n / secs(kept));
        frames_total += graph.total_frames as u64;
        scratch_total += scratch;
        kept_total += kept;
    }
    println!(
        "raster only, all four: {:.0} frames/s from scratch, {:.0} frames/s with settled layers kept",
        frames_total as f64 / secs(scratch_total),
        frames_total as f64 / secs(kept_total)
    );
}

/// A segment cache warmed by rendering `warm` (unmeasured), as a batch's cache is by the
/// records before the measured ones.
fn warmed_cache(binder: &billreel::bind::Binder, warm: &[&str], data: &Path, out_dir: &Path) -> SegmentCache {
    let default = EncodeSettings::default();
    let cache = SegmentCache::new(256);
    for id in warm {
        let graph = binder.bind(&record::find(data, id, "id").unwrap()).unwrap();
        let out = out_dir.join(format!("{id}-warm.mp4"));
        encode::render_video_tagged(&graph, &out, &default, "bench", Some(&cache)).unwrap();
    }
    if !warm.is_empty() {
        let s = cache.stats();
        println!(
            "(segment cache warmed by the {} other records of the sample run, unmeasured: {} pieces and {} sound tracks, {:.1} MB)",
            warm.len(),
            s.segments,
            s.sounds,
            s.bytes as f64 / 1e6
        );
    }
    cache
}

/// billreel's CPU time per video against the pure CFR encode of the same frames and sound,
/// over `ids` rendered in order (one segment cache for all, as in a batch), after `warm`
/// (unmeasured) have been rendered by default into that cache.
fn ratios(
    binder: &billreel::bind::Binder,
    ids: &[&str],
    warm: &[&str],
    data: &Path,
    out_dir: &Path,
    label: &str,
) {
    let default = EncodeSettings::default();
    let cfr = EncodeSettings { cfr: true, ..default.clone() };
    println!(
        "\n== {label}: billreel against the encoder alone (CPU seconds per video, one core, least of {} runs) ==",
        repeats()
    );
    println!(
        "{:<8} {:>12} {:>12} {:>14} {:>16} {:>10} {:>10}",
        "record", "pure CFR", "(no sound)", "billreel CFR", "billreel default", "CFR ratio", "default"
    );
    let cache = warmed_cache(binder, warm, data, out_dir);
    let mut sums = [Duration::ZERO; 4];
    for id in ids {
        let rec = record::find(data, id, "id").unwrap();
        let graph = binder.bind(&rec).unwrap();
        let run = |settings: &EncodeSettings, cache: Option<&SegmentCache>, name: &str| {
            measure(|| {
                let graph = binder.bind(&rec).unwrap();
                let out = out_dir.join(format!("{id}-{name}.mp4"));
                encode::render_video_tagged(&graph, &out, settings, "bench", cache).unwrap()
            })
            .1
        };
        let frames = prepare(&graph);
        // The least of a few runs, taken in turn (starting each round with the next one) so
        // that a slow spell of this shared machine hits all four alike; the default run meets
        // the same warm cache each time (a copy), never the pieces its own earlier runs left
        // there.
        let mut least = [Duration::MAX; 4];
        for round in 0..repeats() {
            for k in 0..4 {
                let which = (round + k) % 4;
                let t = match which {
                    0 => {
                        pure_encode(&graph, &frames, &out_dir.join(format!("{id}-pure.mp4")), &default, true)
                    }
                    1 => pure_encode(
                        &graph,
                        &frames,
                        &out_dir.join(format!("{id}-silent.mp4")),
                        &default,
                        false,
                    ),
                    2 => run(&cfr, None, "cfr"),
                    _ => run(&default, Some(&cache.clone()), "default"),
                };
                least[which] = least[which].min(t);
            }
        }
        drop(frames);
        let [pure, silent, whole_cfr, by_default] = least;
        println!(
            "{id:<8} {:>12.2} {:>12.2} {:>14.2} {:>16.2} {:>10.2} {:>10.2}",
            secs(pure),
            secs(silent),
            secs(whole_cfr),
            secs(by_default),
            secs(whole_cfr) / secs(pure),
            secs(by_default) / secs(pure)
        );
        for (s, d) in sums.iter_mut().zip(least) {
            *s += d;
        }
        // The next record meets this one's shared pieces, as in a batch.
        run(&default, Some(&cache), "default");
    }
    let [pure, silent, whole_cfr, by_default] = sums;
    println!(
        "{label}: ratio to the pure CFR encode of the same frames and sound: --cfr --no-segment-cache {:.2} (target <= 1.15), default {:.2} (target <= 0.6)",
        secs(whole_cfr) / secs(pure),
        secs(by_default) / secs(pure)
    );
    println!(
        "(against the pictures' encode alone, without the sound track's AAC encode: {:.2} and {:.2})",
        secs(whole_cfr) / secs(silent),
        secs(by_default) / secs(silent)
    );
}
