//! The H.264 encoder (libx264 through libavcodec) with billreel's fixed profile, the YUV
//! picture it reads, and the pacer that decides which frames it is given.
//!
//! Every instance is opened with the same profile (size, frame rate, time base, colour tags,
//! closed GOPs, `stitchable=1`, `cpu-independent=1`, one thread), so that streams from
//! different instances have the same headers and can be spliced (see `segment`), and so that
//! the same frames always give the same bytes.

use std::time::Instant;

use ffmpeg::{codec, color, format, frame, Dictionary, Packet, Rational};
use ffmpeg_next as ffmpeg;

use super::EncodeSettings;
use crate::timings::{Stage, Timings};

/// One coded picture: its bytes, its presentation time in frames from the start of what this
/// encoder was given, and whether decoding can start there (an IDR frame).
#[derive(Debug, Clone)]
pub struct Coded {
    /// Shared, so a cached segment's pictures are copied into a video only once (into the
    /// muxer's packet).
    pub data: std::sync::Arc<[u8]>,
    pub pts: i64,
    pub key: bool,
}

/// The stream's codec parameters (size, profile, SPS/PPS in the extradata), as the muxer
/// needs them. Read-only once made: a cached segment's are shared by the workers.
pub struct Params(ReadOnly);

/// Codec parameters nobody can change: the field is private to this module, which only
/// reads it. That is what makes sharing them between threads sound (below).
struct ReadOnly(codec::Parameters);

// `ReadOnly` owns its AVCodecParameters (made by `Parameters::from`, no other owner, no `Rc`
// owner either) and this module never mutates it after creation nor hands out `&mut`; the only
// uses from several threads are reads (`extradata`, and the copy `parameters` makes with
// avcodec_parameters_copy, which reads its source).
// SAFETY: so shared references from several threads only ever read.
unsafe impl Sync for ReadOnly {}

impl Params {
    /// A copy of the parameters, for a muxer's stream.
    pub fn parameters(&self) -> codec::Parameters {
        self.0 .0.clone()
    }

    /// The SPS/PPS (and x264's SEI) that every spliced piece must share.
    pub fn extradata(&self) -> &[u8] {
        // The pointer and size were set together by libavcodec.
        // SAFETY: the parameters (and so the buffer) live as long as `self` and never change.
        unsafe {
            let p = self.0 .0.as_ptr();
            if (*p).extradata.is_null() {
                return &[];
            }
            std::slice::from_raw_parts((*p).extradata, (*p).extradata_size as usize)
        }
    }
}

/// An open libx264 encoder.
pub struct X264 {
    encoder: ffmpeg::encoder::Video,
    /// Frames of reordering (B-frames): how far decoding runs ahead of presentation.
    pub delay: usize,
}

impl X264 {
    pub fn open(width: u32, height: u32, fps: u32, settings: &EncodeSettings) -> Result<X264, ffmpeg::Error> {
        crate::ffmpeg::init();
        let codec = ffmpeg::encoder::find_by_name("libx264").ok_or(ffmpeg::Error::EncoderNotFound)?;
        let mut enc = codec::context::Context::new_with_codec(codec).encoder().video()?;
        enc.set_width(width);
        enc.set_height(height);
        enc.set_format(format::Pixel::YUV420P);
        // Time base one frame; x264 reads the real timestamps (held pictures last longer) for
        // rate control, and the nominal frame rate stays 30/1.
        enc.set_time_base(Rational::new(1, fps as i32));
        enc.set_frame_rate(Some(Rational::new(fps as i32, 1)));
        enc.set_colorspace(color::Space::BT709);
        enc.set_color_range(color::Range::MPEG);
        // ffmpeg-next has no setter for these two tags on an encoder.
        // SAFETY: plain field writes on the codec context we own, before it is opened.
        unsafe {
            let ctx = enc.as_mut_ptr();
            (*ctx).color_primaries = ffmpeg::ffi::AVColorPrimaries::AVCOL_PRI_BT709;
            (*ctx).color_trc = ffmpeg::ffi::AVColorTransferCharacteristic::AVCOL_TRC_BT709;
        }
        // One thread: billreel is parallel across videos, which scales better, and the bytes do
        // not depend on thread timing. The kind is frame threading, as libavcodec's default
        // (frame|slice) reads for libx264: no sliced threads (the same x264 settings, and so the
        // same bytes and the same options in x264's SEI, as before this used the setter).
        let mut threading = codec::threading::Config::count(1);
        threading.kind = codec::threading::Type::Frame;
        enc.set_threading(threading);
        // Closed GOPs: libavcodec's libx264 wrapper otherwise turns on open GOPs, whose
        // non-IDR keyframes (recovery points) make Chromium fail with a decode error when it
        // seeks to them. Every keyframe is an IDR frame that seeking (and splicing) can start
        // from. Global header: the SPS/PPS go in the MP4's extradata.
        enc.set_flags(codec::Flags::CLOSED_GOP | codec::Flags::GLOBAL_HEADER);
        let mut opts = Dictionary::new();
        opts.set("preset", &settings.preset);
        opts.set("crf", &settings.crf.to_string());
        // `none` turns a default off.
        if let Some(t) = settings.tune.as_deref().filter(|t| *t != "none") {
            opts.set("tune", t);
        }
        // stitchable: the SPS/PPS do not depend on the content, so pieces encoded apart can be
        // joined. cpu-independent: the same bytes on any CPU, so a cached piece equals a
        // fresh one.
        let mut params = String::from("stitchable=1:cpu-independent=1");
        if let Some(p) = settings.x264_params.as_deref().filter(|p| *p != "none") {
            params = format!("{params}:{p}");
        }
        opts.set("x264-params", &params);
        let encoder = enc.open_as_with(codec, opts)?;
        // SAFETY: a field libx264's init set (2 with B-pyramids, 1 with plain B-frames, 0).
        let delay = unsafe { (*encoder.as_ptr()).has_b_frames.max(0) as usize };
        Ok(X264 { encoder, delay })
    }

    pub fn params(&self) -> Params {
        Params(ReadOnly(codec::Parameters::from(&*self.encoder)))
    }

    /// Encodes `picture` at `pts` (in frames), as a P-frame when `anchor` (see [`Pacer`]), and
    /// appends what came out to `out`.
    pub fn send(
        &mut self,
        picture: &mut Picture,
        pts: i64,
        anchor: bool,
        out: &mut Vec<Coded>,
        times: &mut Timings,
    ) -> Result<(), ffmpeg::Error> {
        let t = Instant::now();
        // libx264 copies the picture in (the packets are drained right after), so the caller
        // may overwrite it afterwards.
        picture.yuv.set_pts(Some(pts));
        // libavcodec's libx264 wrapper turns the frame's picture type into x264's forced type.
        picture.yuv.set_kind(if anchor { ffmpeg::picture::Type::P } else { ffmpeg::picture::Type::None });
        self.encoder.send_frame(&picture.yuv)?;
        times.add(Stage::Encode, t.elapsed());
        times.sent += 1;
        self.drain(out, times)
    }

    /// Flushes the frames x264 still holds (B-frames, lookahead).
    pub fn finish(&mut self, out: &mut Vec<Coded>, times: &mut Timings) -> Result<(), ffmpeg::Error> {
        self.encoder.send_eof()?;
        self.drain(out, times)
    }

    fn drain(&mut self, out: &mut Vec<Coded>, times: &mut Timings) -> Result<(), ffmpeg::Error> {
        let mut packet = Packet::empty();
        let t = Instant::now();
        while self.encoder.receive_packet(&mut packet).is_ok() {
            out.push(Coded {
                data: packet.data().unwrap_or_default().into(),
                pts: packet.pts().unwrap_or(0),
                key: packet.is_key(),
            });
        }
        times.add(Stage::Encode, t.elapsed());
        Ok(())
    }
}

/// The YUV 4:2:0 picture x264 reads, BT.709 limited range, converted from RGBA.
pub struct Picture {
    yuv: frame::Video,
    width: usize,
    height: usize,
    /// The RGBA the planes were converted from (empty until the first conversion).
    rgba: Vec<u8>,
}

impl Picture {
    pub fn new(width: u32, height: u32) -> Picture {
        let mut yuv = frame::Video::new(format::Pixel::YUV420P, width, height);
        yuv.set_color_space(color::Space::BT709);
        yuv.set_color_range(color::Range::MPEG);
        yuv.set_color_primaries(color::Primaries::BT709);
        yuv.set_color_transfer_characteristic(color::TransferCharacteristic::BT709);
        Picture { yuv, width: width as usize, height: height as usize, rgba: Vec::new() }
    }

    /// Converts tightly packed RGBA (opaque, so premultiplied equals straight) into the picture.
    /// Rows outside `rows` are known to be those of the RGBA converted last time (`0..u32::MAX`:
    /// look at every row).
    pub fn convert(&mut self, rgba: &[u8], rows: std::ops::Range<u32>) {
        let (w, h) = (self.width, self.height);
        assert_eq!(rgba.len(), w * h * 4, "frame size must match the video");
        let strides = [self.yuv.stride(0), self.yuv.stride(1), self.yuv.stride(2)];
        // The frame owns three separate planes, allocated for this size and format when it
        // was created.
        // SAFETY: each slice covers exactly one plane's rows, within its allocation.
        let planes = unsafe {
            let data = (*self.yuv.as_mut_ptr()).data;
            crate::convert::Planes {
                y: (std::slice::from_raw_parts_mut(data[0], strides[0] * h), strides[0]),
                u: (std::slice::from_raw_parts_mut(data[1], strides[1] * h / 2), strides[1]),
                v: (std::slice::from_raw_parts_mut(data[2], strides[2] * h / 2), strides[2]),
            }
        };
        if self.rgba.is_empty() {
            crate::convert::rgba_to_yuv420(rgba, w, h, planes);
            self.rgba = rgba.to_vec();
        } else {
            // Only the rows that changed since the picture before.
            let rows = rows.start as usize..rows.end as usize;
            crate::convert::rgba_to_yuv420_changed(rgba, &mut self.rgba, w, h, rows, planes);
        }
    }

    /// Copies in planes that are already YUV 4:2:0 (tightly packed).
    pub fn copy_planes(&mut self, y: &[u8], u: &[u8], v: &[u8]) {
        // The planes no longer come from the RGBA kept for comparison.
        self.rgba.clear();
        let w = self.width;
        for (i, (src, pw)) in [(y, w), (u, w / 2), (v, w / 2)].into_iter().enumerate() {
            let stride = self.yuv.stride(i);
            let data = self.yuv.data_mut(i);
            for (row, line) in src.chunks_exact(pw).enumerate() {
                data[row * stride..row * stride + pw].copy_from_slice(line);
            }
        }
    }
}

/// Decides which frames go to the encoder. A new picture always does. A held picture (equal
/// to the one before) does at constant frame rate; at variable frame rate the picture already
/// sent simply lasts longer, and is sent again only at the first frame of the hold, when it has
/// lasted `max_gap` frames (so a seek never lands far from a picture) or at the last frame of
/// the run (so the duration is exact).
///
/// At variable frame rate every held picture sent is a [`Sent::Anchor`]: x264 must code it as
/// a P-frame. Then every gap in the timeline (a picture that lasts longer than one frame)
/// follows an anchor, and no B-frame group reaches across a gap: a group's pictures are
/// consecutive frames, so decoding runs at most a few frames ahead of presentation (the
/// composition offsets stay under a quarter second) and decode times can follow the pictures'
/// times (see `mp4`). Re-sending the picture on the first held frame is what puts an anchor
/// before the gap; it costs a P-frame of skipped blocks (a few dozen bytes).
#[derive(Debug, Clone)]
pub struct Pacer {
    cfr: bool,
    max_gap: u32,
    last_sent: Option<u32>,
    /// Whether the last picture sent was a new one (not a held one sent again).
    last_new: bool,
}

/// Whether a frame goes to the encoder, and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sent {
    /// Not sent: the picture sent before lasts longer.
    Skip,
    /// Sent; x264 chooses its frame type.
    Picture,
    /// Sent as a P-frame (a held picture at variable frame rate).
    Anchor,
}

impl Pacer {
    pub fn new(cfr: bool, fps: u32) -> Pacer {
        // Half a second.
        Pacer { cfr, max_gap: (fps / 2).max(1), last_sent: None, last_new: false }
    }

    pub fn send(&mut self, frame: u32, held: bool, last: bool) -> Sent {
        let due = match self.last_sent {
            None => true,
            Some(s) => {
                !held || self.cfr || last || frame - s >= self.max_gap || (self.last_new && frame == s + 1)
            }
        };
        if !due {
            return Sent::Skip;
        }
        self.last_sent = Some(frame);
        self.last_new = !held;
        if held && !self.cfr {
            Sent::Anchor
        } else {
            Sent::Picture
        }
    }

    pub fn last_sent(&self) -> Option<u32> {
        self.last_sent
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn held_pictures_are_sent_every_half_second_and_at_the_end() {
        let held = |f: u32| f > 0 && f != 40;
        let sent = |cfr: bool| {
            let mut p = Pacer::new(cfr, 30);
            (0..50)
                .map(|f| (f, p.send(f, held(f), f == 49)))
                .filter(|(_, s)| *s != Sent::Skip)
                .collect::<Vec<_>>()
        };
        use Sent::{Anchor, Picture};
        // The first held frame, then every half second, and the last frame: all held, so all
        // anchors (P-frames).
        assert_eq!(
            sent(false),
            [
                (0, Picture),
                (1, Anchor),
                (16, Anchor),
                (31, Anchor),
                (40, Picture),
                (41, Anchor),
                (49, Anchor)
            ]
        );
        assert_eq!(sent(true), (0..50).map(|f| (f, Picture)).collect::<Vec<_>>());
    }
}
