//! Where the time goes: per-stage wall time of rendering, for `--timings` and `make bench`.
//!
//! In: durations measured by the stages as they run (cheap: a few clock reads per frame).
//! Out: a table of stages with their share, and the slowest frames.

use std::fmt;
use std::time::Duration;

/// The stages of making one video, in pipeline order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Storyboard + record -> scene graph (templates, layout, images, sound decoding).
    Bind,
    /// Drawing frames (tiny-skia).
    Raster,
    /// RGBA -> YUV 4:2:0 (our integer converter).
    Convert,
    /// x264 (and the AAC encoder).
    Encode,
    /// Mixing the sound track.
    Audio,
    /// Writing packets and the index into the MP4.
    Mux,
    /// Posters, previews, captions, pages, renames.
    Files,
}

pub const STAGES: [Stage; 7] =
    [Stage::Bind, Stage::Raster, Stage::Convert, Stage::Encode, Stage::Audio, Stage::Mux, Stage::Files];

impl Stage {
    pub fn label(self) -> &'static str {
        match self {
            Stage::Bind => "bind",
            Stage::Raster => "raster",
            Stage::Convert => "colour conversion",
            Stage::Encode => "encode",
            Stage::Audio => "audio mix",
            Stage::Mux => "mux",
            Stage::Files => "file I/O and stills",
        }
    }
}

/// Accumulated stage times over one or more videos.
#[derive(Debug, Clone, Default)]
pub struct Timings {
    totals: [Duration; 7],
    pub videos: u32,
    pub frames: u64,
    /// Frames that repeated the previous picture (not drawn or converted again).
    pub held: u64,
    /// Pictures given to x264: every frame at constant frame rate; with variable frame rate a
    /// held picture is one long sample, re-sent only to keep seeking granular.
    pub sent: u64,
    /// Segments (runs of frames between scene changes) taken from the batch's segment cache,
    /// and encoded here.
    pub segments_reused: u64,
    pub segments_encoded: u64,
    /// Sound tracks copied whole from the cache (another video of the batch had the same mix).
    pub sounds_reused: u64,
    /// The slowest frames (raster + conversion + encode): (time, video label, frame index).
    pub slowest: Vec<(Duration, String, u32)>,
}

const KEEP_SLOWEST: usize = 5;

impl Timings {
    pub fn add(&mut self, stage: Stage, d: Duration) {
        // Stages are declared in the order of STAGES, so the discriminant is the index.
        self.totals[stage as usize] += d;
    }

    pub fn get(&self, stage: Stage) -> Duration {
        self.totals[stage as usize]
    }

    pub fn total(&self) -> Duration {
        self.totals.iter().sum()
    }

    /// Records how long one frame took, keeping only the slowest few.
    pub fn frame(&mut self, video: &str, index: u32, d: Duration) {
        if self.slowest.len() < KEEP_SLOWEST || d > self.slowest[self.slowest.len() - 1].0 {
            self.slowest.push((d, video.to_string(), index));
            self.slowest.sort_by_key(|s| std::cmp::Reverse(s.0));
            self.slowest.truncate(KEEP_SLOWEST);
        }
    }

    pub fn merge(&mut self, other: &Timings) {
        for (a, b) in self.totals.iter_mut().zip(other.totals.iter()) {
            *a += *b;
        }
        self.videos += other.videos;
        self.frames += other.frames;
        self.held += other.held;
        self.sent += other.sent;
        self.segments_reused += other.segments_reused;
        self.segments_encoded += other.segments_encoded;
        self.sounds_reused += other.sounds_reused;
        for (d, v, i) in &other.slowest {
            self.frame(v, *i, *d);
        }
    }
}

impl fmt::Display for Timings {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let total = self.total().as_secs_f64().max(1e-9);
        let frames = self.frames.max(1) as f64;
        writeln!(
            f,
            "stage                    total      per frame   share   ({} videos, {} frames)",
            self.videos, self.frames
        )?;
        for s in STAGES {
            let d = self.get(s).as_secs_f64();
            writeln!(
                f,
                "{:<20} {:>9.2} s {:>9.3} ms {:>6.1}%",
                s.label(),
                d,
                d * 1000.0 / frames,
                100.0 * d / total
            )?;
        }
        writeln!(f, "{:<20} {:>9.2} s {:>9.3} ms", "all", total, total * 1000.0 / frames)?;
        writeln!(
            f,
            "held frames (same picture as the one before: not drawn or converted): {} of {} ({:.0}%)",
            self.held,
            self.frames,
            100.0 * self.held as f64 / frames
        )?;
        writeln!(
            f,
            "pictures sent to the encoder: {} of {} frames ({:.0}%)",
            self.sent,
            self.frames,
            100.0 * self.sent as f64 / frames
        )?;
        let segments = self.segments_reused + self.segments_encoded;
        if segments > 0 {
            writeln!(
                f,
                "segments: {} reused from the segment cache, {} encoded ({:.0}% reused)",
                self.segments_reused,
                self.segments_encoded,
                100.0 * self.segments_reused as f64 / segments as f64
            )?;
        }
        if self.sounds_reused > 0 {
            writeln!(
                f,
                "sound tracks: {} of {} videos copied from the cache (the same mix as another video)",
                self.sounds_reused, self.videos
            )?;
        }
        if !self.slowest.is_empty() {
            writeln!(f, "slowest frames (raster + conversion + encode):")?;
            for (d, video, i) in &self.slowest {
                writeln!(f, "  {video} frame {i}: {:.2} ms", d.as_secs_f64() * 1000.0)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_add_up_and_only_the_slowest_frames_are_kept() {
        let ms = Duration::from_millis;
        let mut a = Timings::default();
        a.add(Stage::Raster, ms(30));
        a.add(Stage::Encode, ms(10));
        for i in 0..10 {
            a.frame("a", i, ms(i as u64));
        }
        a.videos = 1;
        a.frames = 10;
        let mut b = Timings { videos: 1, frames: 5, ..Default::default() };
        b.add(Stage::Raster, ms(20));
        b.frame("b", 3, ms(100));
        a.merge(&b);
        assert_eq!(a.get(Stage::Raster), ms(50));
        assert_eq!(a.total(), ms(60));
        assert_eq!((a.videos, a.frames), (2, 15));
        let kept: Vec<(String, u32)> = a.slowest.iter().map(|s| (s.1.clone(), s.2)).collect();
        assert_eq!(
            kept,
            [("b".into(), 3), ("a".into(), 9), ("a".into(), 8), ("a".into(), 7), ("a".into(), 6)]
        );
        let table = a.to_string();
        assert!(table.contains("raster                    0.05 s     3.333 ms   83.3%"), "{table}");
        assert!(table.contains("  b frame 3: 100.00 ms"), "{table}");
    }
}
