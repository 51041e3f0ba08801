//! The MP4 file: coded pictures (from x264 as they come, or copied from cached segments) and
//! the AAC sound track, with `+faststart`.
//!
//! Timestamps are ours, never read back from a container: a picture's pts is its frame number,
//! it lasts until the next picture sent (a held picture at variable frame rate lasts longer),
//! and decode times are derived from the schedule of pictures sent (the `k`-th decoded is due
//! `delay` frames before the `k`-th shown), so pieces encoded apart join into one stream whose
//! decode times always increase, and whose last sample ends with the video.

use std::collections::VecDeque;
use std::path::Path;
use std::sync::Arc;

use ffmpeg::{codec, format, frame, Dictionary, Packet, Rational};
use ffmpeg_next as ffmpeg;
use std::time::Instant;

use super::coded::{Key, Segment};
use super::x264::{Coded, Params};
use super::EncodeError;
use crate::timings::{Stage, Timings};

/// Where coded pictures go: the MP4 file, or a segment being built for the cache.
pub trait Sink {
    /// A picture was given to the encoder at `pts` (frames).
    fn sent(&mut self, pts: i64);
    /// Pictures came out of the encoder, in decode order.
    fn coded(&mut self, coded: &mut Vec<Coded>, times: &mut Timings) -> Result<(), ffmpeg::Error>;
    /// The timeline has reached `frame` (sound up to there can be written).
    fn reached(&mut self, _frame: u32, _times: &mut Timings) -> Result<(), ffmpeg::Error> {
        Ok(())
    }
}

/// An MP4 being written.
pub struct Mp4Out {
    octx: format::context::Output,
    /// One frame: the unit of every video timestamp here.
    frame_tb: Rational,
    ost_tb: Rational,
    fps: u32,
    /// pts of every picture sent so far, increasing.
    schedule: Vec<i64>,
    /// Pictures waiting for the next one to be sent (their duration is not known yet).
    pending: VecDeque<Coded>,
    /// Pictures written so far (the decode index of the next one).
    written: usize,
    delay: usize,
    extradata: Vec<u8>,
    audio: Option<AudioTrack>,
}

impl Mp4Out {
    /// Opens `path` for a video stream with `params` (x264's, `delay` frames of reordering) and,
    /// given a sound track, an AAC stream.
    pub fn create(
        path: &Path,
        params: &Params,
        delay: usize,
        fps: u32,
        audio: Option<SoundIn>,
    ) -> Result<Mp4Out, ffmpeg::Error> {
        let mut octx = format::output_as(&path, "mp4")?;
        let frame_tb = Rational::new(1, fps as i32);
        let mut ost = octx.add_stream(ffmpeg::encoder::find(codec::Id::H264))?;
        ost.set_parameters(params.parameters());
        ost.set_time_base(frame_tb);
        ost.set_avg_frame_rate(Rational::new(fps as i32, 1));
        // A copied track's stream is set up by an encoder opened alike, and its headers are the
        // same; the encoder itself is then not used.
        let audio_encoder = match &audio {
            Some(_) => Some(open_aac(&mut octx)?),
            None => None,
        };
        let mut mux_opts = Dictionary::new();
        mux_opts.set("movflags", "+faststart");
        octx.write_header_with(mux_opts)?;
        let ost_tb = octx.stream(0).expect("stream added above").time_base();
        let audio = match (audio, audio_encoder) {
            (Some(sound), Some(encoder)) => {
                let frame_size = (encoder.frame_size() as usize).max(1);
                let ost_tb = octx.stream(1).expect("stream added above").time_base();
                let (source, total) = match sound {
                    SoundIn::Mix { plan, total, keep } => {
                        let kept = keep.then(Vec::new);
                        (Source::Encoder { encoder, plan, track: None, kept }, total)
                    }
                    SoundIn::Coded(coded) => {
                        let total = coded.total;
                        (Source::Copy { coded, next: 0 }, total)
                    }
                };
                Some(AudioTrack { source, total, sent: 0, frame_size, ost_tb })
            }
            _ => None,
        };
        Ok(Mp4Out {
            octx,
            frame_tb,
            ost_tb,
            fps,
            schedule: Vec::new(),
            pending: VecDeque::new(),
            written: 0,
            delay,
            extradata: params.extradata().to_vec(),
            audio,
        })
    }

    /// Copies a cached segment's pictures in, `offset` frames into the video.
    pub fn append(&mut self, seg: &Segment, offset: u32, times: &mut Timings) -> Result<(), EncodeError> {
        let fail = |message: String| EncodeError::Frame { frame: offset, message };
        // Pieces encoded apart can only be joined when their headers are the same.
        if seg.params.extradata() != self.extradata.as_slice() || seg.delay != self.delay {
            return Err(fail(
                "a cached segment's H.264 headers differ from the video's, so it cannot be spliced in; \
                 run with --no-segment-cache and report this"
                    .into(),
            ));
        }
        for s in &seg.sent {
            self.sent(offset as i64 + *s as i64);
        }
        let mut coded: Vec<Coded> = seg
            .packets
            .iter()
            .map(|c| Coded { data: c.data.clone(), pts: c.pts + offset as i64, key: c.key })
            .collect();
        self.coded(&mut coded, times).map_err(|e| fail(e.to_string()))?;
        self.reached(offset + seg.frames, times).map_err(|e| fail(e.to_string()))
    }

    /// Writes the pictures whose decode time and duration are known: all of them once `end`
    /// (the frame after the last) is given.
    ///
    /// The picture decoded `k`-th is due `delay` frames before the `k`-th picture shown: its
    /// decode time is `schedule[k] - delay`, and it lasts until the next one's (the last one
    /// until `end - delay`, one frame when the last frame was sent, as it always is). So the
    /// decode timeline is the presentation timeline moved back by `delay` frames, gaps and
    /// all: the track ends where the pictures do, no sample's end passes the track's end, and
    /// a picture is decoded at most a B-frame group (consecutive frames, see `x264::Pacer`)
    /// plus `delay` frames before it is shown. At constant frame rate this is `k - delay`.
    fn write_ready(&mut self, end: Option<i64>, times: &mut Timings) -> Result<(), ffmpeg::Error> {
        while !self.pending.is_empty() {
            let k = self.written;
            let Some(&at) = self.schedule.get(k) else { break };
            let Some(next) = self.schedule.get(k + 1).copied().or(end) else { break };
            let c = self.pending.pop_front().expect("checked not empty");
            let dts = at - self.delay as i64;
            let duration = next - at;
            if dts > c.pts || duration < 1 {
                return Err(ffmpeg::Error::InvalidData);
            }
            let mut packet = Packet::copy(&c.data);
            packet.set_stream(0);
            packet.set_pts(Some(c.pts));
            packet.set_dts(Some(dts));
            packet.set_duration(duration);
            if c.key {
                packet.set_flags(codec::packet::Flags::KEY);
            }
            packet.rescale_ts(self.frame_tb, self.ost_tb);
            let t = Instant::now();
            packet.write_interleaved(&mut self.octx)?;
            times.add(Stage::Mux, t.elapsed());
            self.written += 1;
        }
        Ok(())
    }

    /// Writes what is left for a video of `frames` frames, and the MP4 index (moved to the
    /// front by +faststart). Gives back the coded sound track when it was to be kept.
    pub fn finish(mut self, frames: u32, times: &mut Timings) -> Result<Option<CodedSound>, ffmpeg::Error> {
        self.write_ready(Some(frames as i64), times)?;
        if !self.pending.is_empty() {
            return Err(ffmpeg::Error::InvalidData);
        }
        let kept = match self.audio.take() {
            Some(a) => a.finish(&mut self.octx, times)?,
            None => None,
        };
        let t = Instant::now();
        self.octx.write_trailer()?;
        times.add(Stage::Mux, t.elapsed());
        Ok(kept)
    }
}

impl Sink for Mp4Out {
    fn sent(&mut self, pts: i64) {
        debug_assert!(self.schedule.last().is_none_or(|&p| p < pts), "pictures are sent in order");
        self.schedule.push(pts);
    }

    fn coded(&mut self, coded: &mut Vec<Coded>, times: &mut Timings) -> Result<(), ffmpeg::Error> {
        self.pending.extend(coded.drain(..));
        self.write_ready(None, times)
    }

    fn reached(&mut self, frame: u32, times: &mut Timings) -> Result<(), ffmpeg::Error> {
        // Keep the sound level with the pictures, so the muxer interleaves as it goes.
        let until = (frame as usize * crate::audio::RATE as usize) / self.fps as usize;
        match &mut self.audio {
            Some(a) => a.feed(until, &mut self.octx, times),
            None => Ok(()),
        }
    }
}

/// Where a video's sound comes from: mixed and encoded here, or copied from the batch's cache.
pub enum SoundIn {
    /// Mix `plan` for a `total`-frame track and encode it; `keep` the coded packets for the
    /// cache (returned by [`Mp4Out::finish`]).
    Mix { plan: crate::audio::Plan, total: usize, keep: bool },
    /// Copy a sound track encoded before: the same mix, so the same packets.
    Coded(Arc<CodedSound>),
}

/// A sound track encoded once: its AAC packets as the encoder gave them, each noted with how
/// far into the mix the encoder had been fed when it came out. A copy is written at the same
/// points of the timeline as the fresh one was, keeping the muxer's interleaving queue as
/// short (the muxer orders packets by decode time, so the file is the same bytes either way).
pub struct CodedSound {
    total: usize,
    packets: Vec<SoundPacket>,
}

struct SoundPacket {
    data: Vec<u8>,
    pts: Option<i64>,
    dts: Option<i64>,
    duration: i64,
    key: bool,
    /// Stereo frames sent to the encoder when it came out (`usize::MAX`: at the end).
    after: usize,
}

impl CodedSound {
    /// Memory held, for the cache's bound.
    pub fn bytes(&self) -> usize {
        self.packets.iter().map(|p| p.data.len() + std::mem::size_of::<SoundPacket>()).sum::<usize>() + 1024
    }
}

/// The sound track alongside the pictures: AAC, 48 kHz stereo, stream 1. It is mixed for the
/// whole timeline and encoded once per video (never spliced), or copied whole from a video of
/// the batch whose mix was the same.
struct AudioTrack {
    source: Source,
    /// Length of the track in stereo frames.
    total: usize,
    /// Stereo frames sent to the encoder so far (the next frame's pts, in 1/48000 s), or that
    /// would have been, when copying.
    sent: usize,
    frame_size: usize,
    ost_tb: Rational,
}

enum Source {
    Encoder {
        encoder: ffmpeg::encoder::Audio,
        /// What to mix.
        plan: crate::audio::Plan,
        /// The track, mixed and mastered whole when first needed (loudness is measured over
        /// all of it), then encoded a piece at a time as the pictures advance.
        track: Option<Vec<f32>>,
        /// The packets written, when they are to be cached.
        kept: Option<Vec<SoundPacket>>,
    },
    Copy {
        coded: Arc<CodedSound>,
        /// The next packet to write.
        next: usize,
    },
}

impl AudioTrack {
    /// Encodes (or copies) the mix up to `until` stereo frames (or to its end): a frame of
    /// `frame_size` at a time, the last one shorter.
    fn feed(
        &mut self,
        until: usize,
        octx: &mut format::context::Output,
        times: &mut Timings,
    ) -> Result<(), ffmpeg::Error> {
        let total = self.total;
        let until = until.min(total);
        while self.sent < until && (until - self.sent >= self.frame_size || until == total) {
            let n = (until - self.sent).min(self.frame_size);
            if let Source::Encoder { encoder, plan, track, .. } = &mut self.source {
                let track = track.get_or_insert_with(|| {
                    let t = Instant::now();
                    let track = crate::audio::track(plan, total);
                    times.add(Stage::Audio, t.elapsed());
                    track
                });
                send_mixed(encoder, &track[2 * self.sent..2 * (self.sent + n)], self.sent, times)?;
            }
            self.sent += n;
            self.drain(octx, times)?;
        }
        Ok(())
    }

    /// Writes what the encoder has ready (or the copies of what it had at this point).
    fn drain(
        &mut self,
        octx: &mut format::context::Output,
        times: &mut Timings,
    ) -> Result<(), ffmpeg::Error> {
        let ost_tb = self.ost_tb;
        let write = |packet: &mut Packet, octx: &mut format::context::Output, times: &mut Timings| {
            packet.set_stream(1);
            packet.rescale_ts(Rational::new(1, crate::audio::RATE as i32), ost_tb);
            let t = Instant::now();
            let written = packet.write_interleaved(octx);
            times.add(Stage::Mux, t.elapsed());
            written
        };
        match &mut self.source {
            Source::Encoder { encoder, kept, .. } => {
                let mut packet = Packet::empty();
                loop {
                    let t = Instant::now();
                    let got = encoder.receive_packet(&mut packet).is_ok();
                    times.add(Stage::Encode, t.elapsed());
                    if !got {
                        return Ok(());
                    }
                    if let Some(kept) = kept {
                        kept.push(SoundPacket {
                            data: packet.data().unwrap_or_default().to_vec(),
                            pts: packet.pts(),
                            dts: packet.dts(),
                            duration: packet.duration(),
                            key: packet.is_key(),
                            after: self.sent,
                        });
                    }
                    write(&mut packet, octx, times)?;
                }
            }
            Source::Copy { coded, next } => {
                while let Some(p) = coded.packets.get(*next).filter(|p| p.after <= self.sent) {
                    let mut packet = Packet::copy(&p.data);
                    packet.set_pts(p.pts);
                    packet.set_dts(p.dts);
                    packet.set_duration(p.duration);
                    if p.key {
                        packet.set_flags(codec::packet::Flags::KEY);
                    }
                    *next += 1;
                    write(&mut packet, octx, times)?;
                }
                Ok(())
            }
        }
    }

    /// Writes the rest of the track; gives back its coded packets when they are to be kept.
    fn finish(
        mut self,
        octx: &mut format::context::Output,
        times: &mut Timings,
    ) -> Result<Option<CodedSound>, ffmpeg::Error> {
        self.feed(usize::MAX, octx, times)?;
        if let Source::Encoder { encoder, .. } = &mut self.source {
            encoder.send_eof()?;
        }
        // What comes out after the end of the mix.
        self.sent = usize::MAX;
        self.drain(octx, times)?;
        Ok(match self.source {
            Source::Encoder { kept: Some(packets), .. } => Some(CodedSound { total: self.total, packets }),
            _ => None,
        })
    }
}

/// Sends `piece` (interleaved stereo, the track's frames from `start`) to the encoder.
fn send_mixed(
    encoder: &mut ffmpeg::encoder::Audio,
    piece: &[f32],
    start: usize,
    times: &mut Timings,
) -> Result<(), ffmpeg::Error> {
    use ffmpeg::format::{sample::Type, Sample};
    let n = piece.len() / 2;
    // The planes for `n` frames of planar f32 stereo (the channel count follows from the layout).
    let mut f = frame::Audio::new(Sample::F32(Type::Planar), n, ffmpeg::ChannelLayout::STEREO);
    f.set_rate(crate::audio::RATE);
    // Interleaved in, one plane per channel out.
    for ch in 0..2 {
        for (d, s) in f.plane_mut::<f32>(ch).iter_mut().zip(piece.iter().skip(ch).step_by(2)) {
            *d = *s;
        }
    }
    f.set_pts(Some(start as i64));
    let t = Instant::now();
    encoder.send_frame(&f)?;
    times.add(Stage::Encode, t.elapsed());
    Ok(())
}

/// The AAC settings below: part of a coded sound track's cache key.
const AAC_PROFILE: &str = "aac 48000 stereo fltp 160000 coder=fast";

/// The cache key of a `total`-frame sound track mixed from `plan` and encoded here.
pub fn sound_key(plan: &crate::audio::Plan, total: usize) -> Key {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(AAC_PROFILE.as_bytes());
    h.update(ffmpeg::codec::version().to_le_bytes());
    h.update(plan.digest(total));
    h.finalize().into()
}

/// Adds an AAC stream (FFmpeg's own encoder, 48 kHz stereo, 160 kb/s) to the file.
///
/// The encoder's `fast` coder: the default `twoloop` took 1.09 s of CPU for the 27.8 s demo
/// track, as much as a third of x264's work on the pictures, and `fast` takes 0.56 s; at
/// 160 kb/s for music and speech the difference is not audible.
fn open_aac(octx: &mut format::context::Output) -> Result<ffmpeg::encoder::Audio, ffmpeg::Error> {
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
    // MP4 keeps the AudioSpecificConfig in the stream header.
    enc.set_flags(codec::Flags::GLOBAL_HEADER);
    let mut opts = Dictionary::new();
    opts.set("aac_coder", "fast");
    let encoder = enc.open_as_with(codec, opts)?;
    ost.set_parameters(&encoder);
    ost.set_time_base(tb);
    Ok(encoder)
}
