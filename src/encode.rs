//! Encode: frames -> H.264 MP4, through ffmpeg-next and the system FFmpeg.
//!
//! In: a [`SceneGraph`] (drawn frame by frame with `raster`, converted by `convert`). Out: an
//! MP4 file that plays everywhere: H.264 (libx264) in yuv420p, BT.709 primaries, transfer and
//! matrix with limited range tagged in the stream, closed GOPs, AAC sound when there is any,
//! `+faststart` so playback starts before the download ends. Frames that repeat the previous
//! picture (held frames) are not drawn or converted again.
//!
//! x264 runs single-threaded per video: billreel is parallel across videos, which scales better
//! and makes the output bytes deterministic. The file is written under a temporary name and
//! renamed when complete, so a killed render never leaves a half video under the final name.

use std::ffi::{c_char, c_int, c_void, CStr};
use std::path::{Path, PathBuf};
use std::sync::Once;

use ffmpeg::{codec, color, format, frame, Dictionary, Packet, Rational};
use ffmpeg_next as ffmpeg;
use thiserror::Error;

use crate::raster;
use crate::scene::SceneGraph;
use crate::timings::{Stage, Timings};
use std::time::Instant;

/// x264 settings.
#[derive(Debug, Clone, PartialEq)]
pub struct EncodeSettings {
    pub preset: String,
    pub crf: u8,
    /// x264's `--tune` (e.g. `animation`), if any.
    pub tune: Option<String>,
    /// Extra x264 options, `key=value:key=value` (e.g. `me=dia:subme=1`).
    pub x264_params: Option<String>,
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
}

/// What was written, and where the time went.
#[derive(Debug, Clone)]
pub struct VideoStats {
    pub frames: u32,
    pub duration_secs: f64,
    pub bytes: u64,
    pub timings: Timings,
}

static INIT: Once = Once::new();

/// Initialises FFmpeg once and routes its log lines into `tracing` (target `ffmpeg`), so that
/// libx264's and libavformat's chatter never reaches the terminal raw.
pub fn init() {
    INIT.call_once(|| {
        let _ = ffmpeg::init();
        unsafe {
            #[cfg(target_arch = "x86_64")]
            {
                ffmpeg::ffi::av_log_set_level(ffmpeg::ffi::AV_LOG_INFO);
                ffmpeg::ffi::av_log_set_callback(Some(log_callback));
            }
            // Elsewhere va_list has another type and the callback is not built: keep FFmpeg
            // quiet but for errors, so its chatter still never floods the terminal.
            #[cfg(not(target_arch = "x86_64"))]
            ffmpeg::ffi::av_log_set_level(ffmpeg::ffi::AV_LOG_ERROR);
        }
    });
}

#[cfg(target_arch = "x86_64")]
unsafe extern "C" fn log_callback(
    avcl: *mut c_void,
    level: c_int,
    fmt: *const c_char,
    vl: *mut ffmpeg::ffi::__va_list_tag,
) {
    if level > ffmpeg::ffi::AV_LOG_INFO {
        return;
    }
    let mut buf = [0 as c_char; 1024];
    let mut print_prefix: c_int = 1;
    // SAFETY: FFmpeg hands us a valid format string and va_list for this call; the buffer is
    // ours and av_log_format_line2 always NUL-terminates within its size.
    let line = unsafe {
        ffmpeg::ffi::av_log_format_line2(
            avcl,
            level,
            fmt,
            vl,
            buf.as_mut_ptr(),
            buf.len() as c_int,
            &mut print_prefix,
        );
        CStr::from_ptr(buf.as_ptr()).to_string_lossy()
    };
    let line = line.trim_end();
    if line.is_empty() {
        return;
    }
    if level <= ffmpeg::ffi::AV_LOG_ERROR {
        tracing::error!(target: "ffmpeg", "{line}");
    } else if level <= ffmpeg::ffi::AV_LOG_WARNING {
        tracing::warn!(target: "ffmpeg", "{line}");
    } else {
        tracing::debug!(target: "ffmpeg", "{line}");
    }
}

/// An open MP4 file receiving RGBA frames.
pub struct VideoEncoder {
    octx: format::context::Output,
    encoder: ffmpeg::encoder::Video,
    yuv: frame::Video,
    enc_tb: Rational,
    ost_tb: Rational,
    next_pts: i64,
    width: u32,
    height: u32,
    fps: u32,
    audio: Option<AudioTrack>,
    /// Conversion, encode and mux times so far.
    pub times: Timings,
}

/// The sound track being encoded alongside the pictures: AAC, 48 kHz stereo, stream 1.
struct AudioTrack {
    encoder: ffmpeg::encoder::Audio,
    /// What to mix, a piece at a time as the pictures advance.
    plan: crate::audio::Plan,
    /// Length of the track in stereo frames.
    total: usize,
    /// The piece being encoded (interleaved stereo).
    piece: Vec<f32>,
    /// Stereo frames sent to the encoder so far (the next frame's pts, in 1/48000 s).
    sent: usize,
    frame_size: usize,
    ost_tb: Rational,
}

impl AudioTrack {
    /// Encodes the mix up to `until` stereo frames (or to its end).
    fn feed(
        &mut self,
        until: usize,
        octx: &mut format::context::Output,
        times: &mut Timings,
    ) -> Result<(), ffmpeg::Error> {
        use ffmpeg::format::{sample::Type, Sample};
        let total = self.total;
        let until = until.min(total);
        while self.sent < until && (until - self.sent >= self.frame_size || until == total) {
            let n = (until - self.sent).min(self.frame_size);
            let mut f = frame::Audio::empty();
            f.set_channels(2);
            // SAFETY: allocates the frame's planes for the format, length and layout just set.
            unsafe { f.alloc(Sample::F32(Type::Planar), n, ffmpeg::ChannelLayout::STEREO) };
            f.set_rate(crate::audio::RATE);
            let t = Instant::now();
            self.piece.resize(2 * n, 0.0);
            crate::audio::mix_into(&self.plan, total, self.sent, &mut self.piece);
            times.add(Stage::Audio, t.elapsed());
            let src = &self.piece[..];
            // Interleaved in, one plane per channel out.
            for ch in 0..2 {
                for (d, s) in f.plane_mut::<f32>(ch).iter_mut().zip(src.iter().skip(ch).step_by(2)) {
                    *d = *s;
                }
            }
            f.set_pts(Some(self.sent as i64));
            let t = Instant::now();
            self.encoder.send_frame(&f)?;
            times.add(Stage::Encode, t.elapsed());
            self.sent += n;
            self.drain(octx, times)?;
        }
        Ok(())
    }

    fn drain(
        &mut self,
        octx: &mut format::context::Output,
        times: &mut Timings,
    ) -> Result<(), ffmpeg::Error> {
        let mut packet = Packet::empty();
        loop {
            let t = Instant::now();
            let got = self.encoder.receive_packet(&mut packet).is_ok();
            times.add(Stage::Encode, t.elapsed());
            if !got {
                return Ok(());
            }
            packet.set_stream(1);
            packet.rescale_ts(Rational::new(1, crate::audio::RATE as i32), self.ost_tb);
            let t = Instant::now();
            packet.write_interleaved(octx)?;
            times.add(Stage::Mux, t.elapsed());
        }
    }
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
        init();
        let create_err = |e: ffmpeg::Error| EncodeError::Create { path: path.into(), message: e.to_string() };
        let mut octx = format::output_as(&path, "mp4").map_err(create_err)?;
        let codec = ffmpeg::encoder::find_by_name("libx264").ok_or(EncodeError::NoX264)?;
        let global_header = octx.format().flags().contains(format::Flags::GLOBAL_HEADER);
        let mut ost = octx.add_stream(codec).map_err(create_err)?;
        let mut enc = codec::context::Context::new_with_codec(codec).encoder().video().map_err(create_err)?;
        let enc_tb = Rational::new(1, fps as i32);
        enc.set_width(width);
        enc.set_height(height);
        enc.set_format(format::Pixel::YUV420P);
        enc.set_time_base(enc_tb);
        enc.set_frame_rate(Some(Rational::new(fps as i32, 1)));
        enc.set_colorspace(color::Space::BT709);
        enc.set_color_range(color::Range::MPEG);
        // SAFETY: plain field writes on the codec context we own, before it is opened.
        unsafe {
            let ctx = enc.as_mut_ptr();
            (*ctx).color_primaries = ffmpeg::ffi::AVColorPrimaries::AVCOL_PRI_BT709;
            (*ctx).color_trc = ffmpeg::ffi::AVColorTransferCharacteristic::AVCOL_TRC_BT709;
            (*ctx).thread_count = 1;
        }
        // Closed GOPs: libavcodec's libx264 wrapper otherwise turns on open GOPs, whose
        // non-IDR keyframes (recovery points) make Chromium fail with a decode error when it
        // seeks to them. Every keyframe is an IDR frame that seeking can start from.
        let mut flags = codec::Flags::CLOSED_GOP;
        if global_header {
            flags |= codec::Flags::GLOBAL_HEADER;
        }
        enc.set_flags(flags);
        let mut opts = Dictionary::new();
        opts.set("preset", &settings.preset);
        opts.set("crf", &settings.crf.to_string());
        // `none` turns a default off.
        if let Some(t) = settings.tune.as_deref().filter(|t| *t != "none") {
            opts.set("tune", t);
        }
        if let Some(p) = settings.x264_params.as_deref().filter(|p| *p != "none") {
            opts.set("x264-params", p);
        }
        let encoder = enc.open_as_with(codec, opts).map_err(create_err)?;
        ost.set_parameters(&encoder);
        ost.set_time_base(enc_tb);
        let audio_encoder = match &audio {
            Some(_) => Some(open_aac(&mut octx, global_header).map_err(create_err)?),
            None => None,
        };
        let mut mux_opts = Dictionary::new();
        mux_opts.set("movflags", "+faststart");
        octx.write_header_with(mux_opts).map_err(create_err)?;
        let ost_tb = octx.stream(0).expect("stream added above").time_base();
        let audio = match (audio, audio_encoder) {
            (Some((plan, total)), Some(encoder)) => {
                let frame_size = (encoder.frame_size() as usize).max(1);
                let ost_tb = octx.stream(1).expect("stream added above").time_base();
                Some(AudioTrack { encoder, plan, total, piece: Vec::new(), sent: 0, frame_size, ost_tb })
            }
            _ => None,
        };

        let mut yuv = frame::Video::new(format::Pixel::YUV420P, width, height);
        yuv.set_color_space(color::Space::BT709);
        yuv.set_color_range(color::Range::MPEG);
        yuv.set_color_primaries(color::Primaries::BT709);
        yuv.set_color_transfer_characteristic(color::TransferCharacteristic::BT709);
        Ok(VideoEncoder {
            octx,
            encoder,
            yuv,
            enc_tb,
            ost_tb,
            next_pts: 0,
            width,
            height,
            fps,
            audio,
            times: Timings::default(),
        })
    }

    /// Appends a frame that is already YUV 4:2:0 (tightly packed planes): for measuring the
    /// encoder alone.
    pub fn push_yuv(&mut self, y: &[u8], u: &[u8], v: &[u8]) -> Result<(), EncodeError> {
        let w = self.width as usize;
        for (i, (src, pw)) in [(y, w), (u, w / 2), (v, w / 2)].into_iter().enumerate() {
            let stride = self.yuv.stride(i);
            let data = self.yuv.data_mut(i);
            for (row, line) in src.chunks_exact(pw).enumerate() {
                data[row * stride..row * stride + pw].copy_from_slice(line);
            }
        }
        let frame_no = self.next_pts as u32;
        let fail = |e: ffmpeg::Error| EncodeError::Frame { frame: frame_no, message: e.to_string() };
        self.send_yuv().map_err(fail)
    }

    /// Appends the previous frame again (a held frame): nothing to copy or convert.
    pub fn push_again(&mut self) -> Result<(), EncodeError> {
        assert!(self.next_pts > 0, "a frame must be pushed before it can be held");
        let frame_no = self.next_pts as u32;
        let fail = |e: ffmpeg::Error| EncodeError::Frame { frame: frame_no, message: e.to_string() };
        self.send_yuv().map_err(fail)
    }

    /// Appends one frame: tightly packed RGBA (opaque, so premultiplied equals straight).
    pub fn push(&mut self, rgba: &[u8]) -> Result<(), EncodeError> {
        let frame_no = self.next_pts as u32;
        let started = Instant::now();
        assert_eq!(
            rgba.len(),
            self.width as usize * self.height as usize * 4,
            "frame size must match the video"
        );
        let fail = |e: ffmpeg::Error| EncodeError::Frame { frame: frame_no, message: e.to_string() };
        let (w, h) = (self.width as usize, self.height as usize);
        let strides = [self.yuv.stride(0), self.yuv.stride(1), self.yuv.stride(2)];
        // SAFETY: the frame owns three separate planes, allocated for this size and format
        // when it was created; each slice covers exactly one plane's rows.
        let planes = unsafe {
            let data = (*self.yuv.as_mut_ptr()).data;
            crate::convert::Planes {
                y: (std::slice::from_raw_parts_mut(data[0], strides[0] * h), strides[0]),
                u: (std::slice::from_raw_parts_mut(data[1], strides[1] * h / 2), strides[1]),
                v: (std::slice::from_raw_parts_mut(data[2], strides[2] * h / 2), strides[2]),
            }
        };
        crate::convert::rgba_to_yuv420(rgba, w, h, planes);
        self.times.add(Stage::Convert, started.elapsed());
        self.send_yuv().map_err(fail)
    }

    /// Sends the converted frame at the next timestamp, then what sound is due by then.
    fn send_yuv(&mut self) -> Result<(), ffmpeg::Error> {
        self.yuv.set_pts(Some(self.next_pts));
        self.next_pts += 1;
        let t = Instant::now();
        self.encoder.send_frame(&self.yuv)?;
        self.times.add(Stage::Encode, t.elapsed());
        self.drain()?;
        // Keep the sound level with the pictures, so the muxer interleaves as it goes.
        let until = (self.next_pts as usize * crate::audio::RATE as usize) / self.fps as usize;
        if let Some(a) = &mut self.audio {
            a.feed(until, &mut self.octx, &mut self.times)?;
        }
        Ok(())
    }

    fn drain(&mut self) -> Result<(), ffmpeg::Error> {
        let mut packet = Packet::empty();
        loop {
            let t = Instant::now();
            let got = self.encoder.receive_packet(&mut packet).is_ok();
            self.times.add(Stage::Encode, t.elapsed());
            if !got {
                return Ok(());
            }
            packet.set_stream(0);
            // Every frame lasts one tick; without this the muxer cannot know how long the last
            // frame lasts and the file comes out one frame short.
            packet.set_duration(1);
            packet.rescale_ts(self.enc_tb, self.ost_tb);
            let t = Instant::now();
            packet.write_interleaved(&mut self.octx)?;
            self.times.add(Stage::Mux, t.elapsed());
        }
    }

    /// Flushes the encoder and writes the MP4 index (moved to the front by +faststart).
    pub fn finish(mut self) -> Result<(u32, Timings), EncodeError> {
        let fail = |e: ffmpeg::Error| EncodeError::Finish(e.to_string());
        self.encoder.send_eof().map_err(fail)?;
        self.drain().map_err(fail)?;
        if let Some(a) = &mut self.audio {
            a.feed(usize::MAX, &mut self.octx, &mut self.times).map_err(fail)?;
            a.encoder.send_eof().map_err(fail)?;
            a.drain(&mut self.octx, &mut self.times).map_err(fail)?;
        }
        let t = Instant::now();
        self.octx.write_trailer().map_err(fail)?;
        self.times.add(Stage::Mux, t.elapsed());
        Ok((self.next_pts as u32, self.times))
    }
}

/// Adds an AAC stream (FFmpeg's own encoder, 48 kHz stereo, 160 kb/s) to the file.
fn open_aac(
    octx: &mut format::context::Output,
    global_header: bool,
) -> Result<ffmpeg::encoder::Audio, ffmpeg::Error> {
    use ffmpeg::format::{sample::Type, Sample};
    let codec = ffmpeg::encoder::find(codec::Id::AAC).ok_or(ffmpeg::Error::EncoderNotFound)?;
    let mut ost = octx.add_stream(codec)?;
    let mut enc = codec::context::Context::new_with_codec(codec).encoder().audio()?;
    let tb = Rational::new(1, crate::audio::RATE as i32);
    enc.set_rate(crate::audio::RATE as i32);
    enc.set_channel_layout(ffmpeg::ChannelLayout::STEREO);
    enc.set_channels(2);
    enc.set_format(Sample::F32(Type::Planar));
    enc.set_bit_rate(160_000);
    enc.set_time_base(tb);
    if global_header {
        enc.set_flags(codec::Flags::GLOBAL_HEADER);
    }
    let encoder = enc.open_as(codec)?;
    ost.set_parameters(&encoder);
    ost.set_time_base(tb);
    Ok(encoder)
}

/// Draws and encodes every frame of `graph` into `out`, atomically.
pub fn render_video(
    graph: &SceneGraph,
    out: &Path,
    settings: &EncodeSettings,
) -> Result<VideoStats, EncodeError> {
    render_video_tagged(graph, out, settings, &std::process::id().to_string())
}

/// Like [`render_video`], with `tag` in the temporary file's name (see [`temp_name`]).
pub fn render_video_tagged(
    graph: &SceneGraph,
    out: &Path,
    settings: &EncodeSettings,
    tag: &str,
) -> Result<VideoStats, EncodeError> {
    let label = out.file_stem().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let started = Instant::now();
    let (frames, mut timings) = write_atomically(out, tag, |tmp| {
        // The sound is mixed a piece at a time as the pictures advance.
        let audio = graph.companions.audio.as_ref().map(|plan| {
            let frames = (graph.total_frames as u64 * crate::audio::RATE as u64 / graph.fps as u64) as usize;
            (plan.clone(), frames)
        });
        let mut enc = VideoEncoder::create(tmp, graph.width, graph.height, graph.fps, settings, audio)?;
        let mut canvas =
            tiny_skia::Pixmap::new(graph.width, graph.height).expect("size checked by the storyboard");
        let mut previous: Option<Vec<u32>> = None;
        for f in 0..graph.total_frames {
            let t = Instant::now();
            // A frame whose drawing state equals the last one's is the same picture.
            let state = raster::frame_state(graph, f);
            let held = previous.as_ref() == Some(&state);
            if !held {
                raster::render_into(graph, f, &mut canvas);
            }
            previous = Some(state);
            let drawn = t.elapsed();
            enc.times.add(Stage::Raster, drawn);
            let before = enc.times.get(Stage::Convert) + enc.times.get(Stage::Encode);
            if held {
                enc.push_again()?;
                enc.times.held += 1;
            } else {
                enc.push(canvas.data())?;
            }
            let coded = enc.times.get(Stage::Convert) + enc.times.get(Stage::Encode) - before;
            enc.times.frame(&label, f, drawn + coded);
        }
        enc.finish()
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

/// `out/C0003.mp4` -> `out/.C0003.mp4.partial-<tag>`: same folder (so the rename is atomic)
/// and hidden. The tag says who writes it (a process id, or a batch shard), so a later run
/// can clean up exactly its own leftovers.
pub fn temp_name(out: &Path, tag: &str) -> PathBuf {
    let name =
        out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "video.mp4".into());
    out.with_file_name(format!(".{name}.partial-{tag}"))
}

/// Runs `write` on the temporary name of `out`, then renames it into place; on any failure
/// the temporary file is removed, so `out` is either complete or absent.
pub(crate) fn write_atomically<T>(
    out: &Path,
    tag: &str,
    write: impl FnOnce(&Path) -> Result<T, EncodeError>,
) -> Result<T, EncodeError> {
    let tmp = temp_name(out, tag);
    let result = write(&tmp).and_then(|v| {
        std::fs::rename(&tmp, out).map(|_| v).map_err(|e| {
            EncodeError::Finish(format!("cannot move {} to {}: {e}", tmp.display(), out.display()))
        })
    });
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
