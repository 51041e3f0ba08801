//! Encode: frames -> H.264 MP4, through ffmpeg-next and the system FFmpeg.
//!
//! In: a [`SceneGraph`] (drawn frame by frame with `raster`, converted by `convert`). Out: an
//! MP4 file that plays everywhere: H.264 (libx264) in yuv420p, BT.709 primaries, transfer and
//! matrix with limited range tagged in the stream, closed GOPs, AAC sound when there is any,
//! `+faststart` so playback starts before the download ends.
//!
//! Only what changes is done again. Frames that repeat the previous picture (held frames) are
//! not drawn or converted; by default they are not encoded either: the picture already sent
//! becomes one long sample (variable frame rate, nominal 30/1), sent again (as a P-frame) on
//! the first held frame and every half second so seeking stays granular and no B-frame group
//! spans a hold (see [`x264::Pacer`]; `--cfr` sends every frame). In a batch, runs of frames that are
//! the same in many videos are encoded once and spliced in ([`segment`]).
//!
//! The parts: [`x264`] (the encoder, its picture, which frames it gets), [`mp4`] (the file and
//! its sound track, timestamps from the schedule of pictures sent), [`segment`] (cutting a
//! video into shareable pieces, and the cache), [`coded`] (the coded pieces both handle).
//!
//! The file is written under a temporary name and renamed when complete, so a killed render
//! never leaves a half video under the final name.

pub mod coded;
pub mod mp4;
pub mod segment;
pub mod x264;

use std::path::{Path, PathBuf};

use std::ops::Range;
use std::sync::Arc;
use std::time::Instant;

use ffmpeg_next as ffmpeg;
use thiserror::Error;

use crate::output::write_atomically;
use crate::raster;
use crate::scene::SceneGraph;
use crate::timings::{Stage, Timings};
use mp4::{Mp4Out, Sink, SoundIn};
pub use segment::{CacheStats, SegmentCache};
use x264::{Coded, Pacer, Picture, Sent, X264};

/// x264 settings.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EncodeSettings {
    pub preset: String,
    pub crf: u8,
    /// x264's `--tune` (e.g. `animation`), if any.
    pub tune: Option<String>,
    /// Extra x264 options, `key=value:key=value` (e.g. `me=dia:subme=1`).
    pub x264_params: Option<String>,
    /// Constant frame rate: every frame is encoded, held ones too (some upload APIs need it).
    pub cfr: bool,
}

impl Default for EncodeSettings {
    fn default() -> Self {
        // Measured on the demo (docs/BENCHMARKS.md, scripts/bench-x264.sh): tune=animation
        // gains 1.3 dB PSNR at the same size, and a diamond motion search with the fastest
        // subpixel refinement takes 18% less encoder time; together they beat veryfast alone
        // on time and quality for about 1.5% more bytes.
        EncodeSettings {
            preset: "veryfast".into(),
            crf: 23,
            tune: Some("animation".into()),
            x264_params: Some("me=dia:subme=1".into()),
            cfr: false,
        }
    }
}

#[derive(Debug, Error)]
pub enum EncodeError {
    #[error(
        "FFmpeg has no libx264 encoder; install an FFmpeg build with libx264 (Debian's libavcodec has it)"
    )]
    NoX264,
    #[error("cannot create {path}: {message}")]
    Create { path: PathBuf, message: String },
    #[error("encoding failed at frame {frame}: {message}")]
    Frame { frame: u32, message: String },
    #[error("finishing the MP4 failed: {0}")]
    Finish(String),
    /// The record's time budget ran out before frame `frame` (see [`Deadline`]).
    #[error("gave up at frame {frame} of {frames}: the video's time budget of {budget:?} ran out")]
    Timeout { frame: u32, frames: u32, budget: std::time::Duration },
    #[error(transparent)]
    Output(#[from] crate::output::OutputError),
}

/// When a video must be done by: checked before each frame is drawn, so a video that takes too
/// long stops within one frame's time, with an error, and nothing is published. Cooperative: no
/// thread is stopped from outside.
#[derive(Debug, Clone, Copy)]
pub struct Deadline {
    pub at: Instant,
    /// The whole budget, for the message.
    pub budget: std::time::Duration,
}

impl Deadline {
    pub fn passed(&self) -> bool {
        Instant::now() >= self.at
    }
}

/// What was written, and where the time went.
#[derive(Debug, Clone)]
pub struct VideoStats {
    pub frames: u32,
    pub duration_secs: f64,
    pub bytes: u64,
    pub timings: Timings,
}

/// An MP4 file receiving frames one by one (for measuring the encoder, and for callers that
/// draw their own frames). Held frames follow the settings' frame-rate mode.
pub struct VideoEncoder {
    x264: X264,
    picture: Picture,
    mp4: Mp4Out,
    pacer: Pacer,
    coded: Vec<Coded>,
    /// Frames so far.
    frames: u32,
    /// Conversion, encode and mux times so far.
    pub times: Timings,
}

impl VideoEncoder {
    pub fn create(
        path: &Path,
        width: u32,
        height: u32,
        fps: u32,
        settings: &EncodeSettings,
        audio: Option<(crate::audio::Plan, usize)>,
    ) -> Result<VideoEncoder, EncodeError> {
        let x264 = open_x264(width, height, fps, settings, path)?;
        let sound = audio.map(|(plan, total)| SoundIn::Mix { plan, total, keep: false });
        let mp4 = Mp4Out::create(path, &x264.params(), x264.delay, fps, sound).map_err(create_error(path))?;
        Ok(VideoEncoder {
            x264,
            picture: Picture::new(width, height),
            mp4,
            pacer: Pacer::new(settings.cfr, fps),
            coded: Vec::new(),
            frames: 0,
            times: Timings::default(),
        })
    }

    /// Appends one frame: tightly packed RGBA (opaque, so premultiplied equals straight).
    pub fn push(&mut self, rgba: &[u8]) -> Result<(), EncodeError> {
        let t = Instant::now();
        self.picture.convert(rgba, 0..u32::MAX);
        self.times.add(Stage::Convert, t.elapsed());
        self.next(false)
    }

    /// Appends a frame that is already YUV 4:2:0 (tightly packed planes).
    pub fn push_yuv(&mut self, y: &[u8], u: &[u8], v: &[u8]) -> Result<(), EncodeError> {
        self.picture.copy_planes(y, u, v);
        self.next(false)
    }

    /// Appends the previous frame again (a held frame): nothing to copy or convert.
    pub fn push_again(&mut self) -> Result<(), EncodeError> {
        assert!(self.frames > 0, "a frame must be pushed before it can be held");
        self.times.held += 1;
        self.next(true)
    }

    fn next(&mut self, held: bool) -> Result<(), EncodeError> {
        let f = self.frames;
        let fail = |e: ffmpeg::Error| EncodeError::Frame { frame: f, message: e.to_string() };
        let sent = self.pacer.send(f, held, false);
        if sent != Sent::Skip {
            self.send(f, sent == Sent::Anchor).map_err(fail)?;
        }
        self.frames += 1;
        self.mp4.reached(self.frames, &mut self.times).map_err(fail)
    }

    /// Gives the current picture to x264 as frame `f` (a P-frame when `anchor`).
    fn send(&mut self, f: u32, anchor: bool) -> Result<(), ffmpeg::Error> {
        send_picture(
            &mut self.x264,
            &mut self.picture,
            f as i64,
            anchor,
            &mut self.mp4,
            &mut self.coded,
            &mut self.times,
        )
    }

    /// Sends the last frame if it was held and not sent (so the duration is exact), flushes
    /// the encoder and writes the MP4 index. Returns the number of frames.
    pub fn finish(mut self) -> Result<(u32, Timings), EncodeError> {
        let fail = |e: ffmpeg::Error| EncodeError::Finish(e.to_string());
        let last = self.frames.checked_sub(1);
        if let Some(f) = last.filter(|&f| self.pacer.last_sent() != Some(f)) {
            // A held picture (new ones are always sent), so an anchor.
            self.send(f, true).map_err(fail)?;
        }
        self.x264.finish(&mut self.coded, &mut self.times).map_err(fail)?;
        self.mp4.coded(&mut self.coded, &mut self.times).map_err(fail)?;
        self.mp4.finish(self.frames, &mut self.times).map_err(fail)?;
        Ok((self.frames, self.times))
    }
}

/// Gives `picture` to x264 at `pts`: noted in the sink's schedule first (its duration and
/// decode time come from it), then what x264 gives back goes to the sink.
fn send_picture(
    x264: &mut X264,
    picture: &mut Picture,
    pts: i64,
    anchor: bool,
    sink: &mut dyn Sink,
    coded: &mut Vec<Coded>,
    times: &mut Timings,
) -> Result<(), ffmpeg::Error> {
    sink.sent(pts);
    x264.send(picture, pts, anchor, coded, times)?;
    sink.coded(coded, times)
}

/// What an FFmpeg failure while creating `path` becomes.
fn create_error(path: &Path) -> impl Fn(ffmpeg::Error) -> EncodeError + '_ {
    move |e| EncodeError::Create { path: path.into(), message: e.to_string() }
}

/// The video's sound, if it has any: its mixing plan and its length in 48 kHz frames (as long
/// as the pictures). It is mixed a piece at a time as the pictures advance.
pub fn sound_track(graph: &SceneGraph) -> Option<(crate::audio::Plan, usize)> {
    graph.companions.audio.as_ref().map(|plan| {
        let frames = (graph.total_frames as u64 * crate::audio::RATE as u64 / graph.fps as u64) as usize;
        (plan.clone(), frames)
    })
}

fn open_x264(
    width: u32,
    height: u32,
    fps: u32,
    settings: &EncodeSettings,
    path: &Path,
) -> Result<X264, EncodeError> {
    X264::open(width, height, fps, settings).map_err(|e| match e {
        ffmpeg::Error::EncoderNotFound => EncodeError::NoX264,
        e => EncodeError::Create { path: path.into(), message: format!("cannot open libx264: {e}") },
    })
}

/// Draws and encodes every frame of `graph` into `out`, atomically.
pub fn render_video(
    graph: &SceneGraph,
    out: &Path,
    settings: &EncodeSettings,
) -> Result<VideoStats, EncodeError> {
    render_video_tagged(graph, out, settings, &std::process::id().to_string(), None)
}

/// Like [`render_video`], with `tag` in the temporary file's name (see [`crate::output::temp_name`]) and,
/// given a segment cache, the video cut into segments that are taken from the cache when
/// another video already encoded them (and put there otherwise).
pub fn render_video_tagged(
    graph: &SceneGraph,
    out: &Path,
    settings: &EncodeSettings,
    tag: &str,
    cache: Option<&SegmentCache>,
) -> Result<VideoStats, EncodeError> {
    render_video_until(graph, out, settings, tag, cache, None)
}

/// Like [`render_video_tagged`], giving up with [`EncodeError::Timeout`] (and publishing nothing)
/// when `deadline` passes before the last frame.
pub fn render_video_until(
    graph: &SceneGraph,
    out: &Path,
    settings: &EncodeSettings,
    tag: &str,
    cache: Option<&SegmentCache>,
    deadline: Option<Deadline>,
) -> Result<VideoStats, EncodeError> {
    let label = out.file_stem().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let started = Instant::now();
    let mut timings = Timings::default();
    let frames = write_atomically(out, tag, |tmp| {
        let audio = sound_track(graph);
        let mut frames = Frames::new(graph, deadline);
        let end = graph.total_frames;
        match cache {
            None => {
                // One encoder for the whole video, its pictures written as they come.
                let mut x264 = open_x264(graph.width, graph.height, graph.fps, settings, tmp)?;
                let sound = audio.map(|(plan, total)| SoundIn::Mix { plan, total, keep: false });
                let mut mp4 = Mp4Out::create(tmp, &x264.params(), x264.delay, graph.fps, sound)
                    .map_err(create_error(tmp))?;
                let mut pacer = Pacer::new(settings.cfr, graph.fps);
                frames.encode(graph, 0..end, &mut x264, &mut pacer, &mut mp4, &mut timings, &label)?;
                mp4.finish(end, &mut timings).map_err(|e| EncodeError::Finish(e.to_string()))?;
            }
            Some(cache) => {
                render_segmented(graph, tmp, settings, cache, audio, &mut frames, &mut timings, &label)?
            }
        }
        Ok::<_, EncodeError>(end)
    })?;
    // What no stage accounts for: opening the file, the rename.
    let measured = timings.total();
    timings.add(Stage::Files, started.elapsed().saturating_sub(measured));
    timings.videos = 1;
    timings.frames = frames as u64;
    let bytes = std::fs::metadata(out).map(|m| m.len()).unwrap_or(0);
    tracing::info!(file = %out.display(), frames, bytes, "video written");
    Ok(VideoStats { frames, duration_secs: frames as f64 / graph.fps as f64, bytes, timings })
}

/// Encodes `graph` into `tmp` as segments: the pieces met before (see [`segment`]) come from
/// the cache, or are encoded and cached; the runs of pieces between them are encoded as one
/// segment each and not cached. The segments' pictures are copied into the MP4 in order.
#[allow(clippy::too_many_arguments)]
fn render_segmented(
    graph: &SceneGraph,
    tmp: &Path,
    settings: &EncodeSettings,
    cache: &SegmentCache,
    audio: Option<(crate::audio::Plan, usize)>,
    frames: &mut Frames,
    timings: &mut Timings,
    label: &str,
) -> Result<(), EncodeError> {
    let pieces = segment::plan(graph, settings);
    let shared = cache.shared(&pieces);
    // The sound: copied whole when another video of the batch had the same mix.
    let mut keep_sound = None;
    let mut sound = audio.map(|(plan, total)| {
        let key = mp4::sound_key(&plan, total);
        match cache.sound(&key) {
            Some(coded) => {
                timings.sounds_reused += 1;
                SoundIn::Coded(coded)
            }
            None => {
                keep_sound = Some(key);
                SoundIn::Mix { plan, total, keep: true }
            }
        }
    });
    let mut mp4: Option<Mp4Out> = None;
    let mut i = 0;
    while i < pieces.len() {
        let start = pieces[i].start;
        let seg = if shared[i] {
            let piece = &pieces[i];
            i += 1;
            match cache.get(&piece.key) {
                Some(seg) => {
                    timings.segments_reused += 1;
                    seg
                }
                None => {
                    let range = start..start + piece.frames;
                    let seg = Arc::new(frames.encode_segment(graph, range, settings, timings, label)?);
                    timings.segments_encoded += 1;
                    cache.insert(piece.key, seg.clone());
                    seg
                }
            }
        } else {
            let run = shared[i..].iter().position(|s| *s).map_or(pieces.len(), |n| i + n);
            let range = start..pieces[run - 1].start + pieces[run - 1].frames;
            i = run;
            timings.segments_encoded += 1;
            Arc::new(frames.encode_segment(graph, range, settings, timings, label)?)
        };
        let mp4 = match &mut mp4 {
            Some(m) => m,
            None => mp4.insert(
                Mp4Out::create(tmp, &seg.params, seg.delay, graph.fps, sound.take())
                    .map_err(create_error(tmp))?,
            ),
        };
        mp4.append(&seg, start, timings)?;
    }
    let mp4 = mp4.ok_or_else(|| EncodeError::Finish("a video needs at least one frame".into()))?;
    let coded = mp4.finish(graph.total_frames, timings).map_err(|e| EncodeError::Finish(e.to_string()))?;
    if let (Some(key), Some(coded)) = (keep_sound, coded) {
        cache.insert_sound(key, coded);
    }
    Ok(())
}

/// The frame being made: drawn (held frames skipped, settled layers kept) and its YUV picture.
struct Frames {
    drawer: raster::Drawer,
    picture: Picture,
    deadline: Option<Deadline>,
}

impl Frames {
    fn new(graph: &SceneGraph, deadline: Option<Deadline>) -> Frames {
        Frames {
            drawer: raster::Drawer::new(graph),
            picture: Picture::new(graph.width, graph.height),
            deadline,
        }
    }

    /// Encodes frames `range` of `graph` into `sink`, with pts counted from the range's start
    /// (a segment's own timeline; 0 for a whole video). The first frame is always drawn and
    /// sent, and so is the last (see [`Pacer`]).
    #[allow(clippy::too_many_arguments)]
    fn encode(
        &mut self,
        graph: &SceneGraph,
        range: Range<u32>,
        x264: &mut X264,
        pacer: &mut Pacer,
        sink: &mut dyn Sink,
        times: &mut Timings,
        label: &str,
    ) -> Result<(), EncodeError> {
        self.drawer.restart();
        let mut coded = Vec::new();
        for f in range.clone() {
            if let Some(d) = self.deadline.filter(Deadline::passed) {
                return Err(EncodeError::Timeout { frame: f, frames: graph.total_frames, budget: d.budget });
            }
            let fail = |e: ffmpeg::Error| EncodeError::Frame { frame: f, message: e.to_string() };
            let t = Instant::now();
            let drawn = self.drawer.draw(graph, f);
            let held = drawn.is_none();
            let mut cost = t.elapsed();
            times.add(Stage::Raster, cost);
            match drawn {
                None => times.held += 1,
                Some(rows) => {
                    let t = Instant::now();
                    self.picture.convert(self.drawer.canvas().data(), rows);
                    let d = t.elapsed();
                    times.add(Stage::Convert, d);
                    cost += d;
                }
            }
            let sent = pacer.send(f, held, f + 1 == range.end);
            if sent != Sent::Skip {
                let t = Instant::now();
                let pts = (f - range.start) as i64;
                let anchor = sent == Sent::Anchor;
                send_picture(x264, &mut self.picture, pts, anchor, sink, &mut coded, times).map_err(fail)?;
                cost += t.elapsed();
            }
            sink.reached(f + 1, times).map_err(fail)?;
            times.frame(label, f, cost);
        }
        let fail = |e: ffmpeg::Error| EncodeError::Finish(e.to_string());
        x264.finish(&mut coded, times).map_err(fail)?;
        sink.coded(&mut coded, times).map_err(fail)
    }

    /// Encodes frames `range` as a segment of their own (a new encoder: it starts with an IDR
    /// frame), pts from its first frame.
    fn encode_segment(
        &mut self,
        graph: &SceneGraph,
        range: Range<u32>,
        settings: &EncodeSettings,
        times: &mut Timings,
        label: &str,
    ) -> Result<coded::Segment, EncodeError> {
        let path = Path::new(label);
        let mut x264 = open_x264(graph.width, graph.height, graph.fps, settings, path)?;
        let mut pacer = Pacer::new(settings.cfr, graph.fps);
        let mut collector = segment::Collector::default();
        self.encode(graph, range.clone(), &mut x264, &mut pacer, &mut collector, times, label)?;
        Ok(coded::Segment {
            frames: range.len() as u32,
            sent: collector.sent,
            packets: collector.packets,
            params: x264.params(),
            delay: x264.delay,
        })
    }
}
