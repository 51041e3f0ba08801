//! Audio: decoding sound files and mixing one record's sound track.
//!
//! In: audio files under the assets folder (anything FFmpeg decodes: WAV, MP3, OGG, M4A…) and
//! a [`Plan`] resolved by bind (a music bed and clips placed on the timeline). Out: 48 kHz
//! stereo samples for the encoder.

use std::sync::{Arc, OnceLock};

use sha2::{Digest, Sha256};

/// The sample rate of every mix (and of the AAC stream).
pub const RATE: u32 = 48_000;

/// Decoded sound: interleaved stereo `f32` samples at [`RATE`], never changed once made (so
/// its digest, worked out when first asked for, stays true).
#[derive(Debug, Clone, Default)]
pub struct Pcm {
    samples: Vec<f32>,
    digest: OnceLock<[u8; 32]>,
}

impl PartialEq for Pcm {
    fn eq(&self, other: &Pcm) -> bool {
        self.samples == other.samples
    }
}

impl Pcm {
    pub fn new(samples: Vec<f32>) -> Pcm {
        Pcm { samples, digest: OnceLock::new() }
    }

    pub fn samples(&self) -> &[f32] {
        &self.samples
    }

    /// Length in frames (one left and one right sample each).
    pub fn frames(&self) -> usize {
        self.samples.len() / 2
    }

    /// SHA-256 of the samples' bits: a sound file is decoded once per storyboard and used by
    /// every record, so this is worked out once.
    pub fn digest(&self) -> [u8; 32] {
        *self.digest.get_or_init(|| {
            let mut h = Sha256::new();
            let mut bytes = Vec::with_capacity(4 * 4096);
            for chunk in self.samples.chunks(4096) {
                bytes.clear();
                bytes.extend(chunk.iter().flat_map(|s| s.to_le_bytes()));
                h.update(&bytes);
            }
            h.finalize().into()
        })
    }
}

/// What one record's sound track is made of, placed on the video's timeline.
#[derive(Debug, Clone)]
pub struct Plan {
    pub music: Option<Music>,
    pub clips: Vec<Clip>,
}

impl Plan {
    /// Everything the mix of a `total`-frame track depends on, hashed: [`mix_into`] is a pure
    /// function of the plan and the length, so two records whose keys are equal get the same
    /// samples (and, encoded alike, the same coded sound).
    pub fn digest(&self, total: usize) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(format!("billreel mix {} {RATE} {total}|", env!("CARGO_PKG_VERSION")).as_bytes());
        if let Some(m) = &self.music {
            h.update(m.pcm.digest());
            let looped = m.looped as u8;
            h.update(format!("music {} {} {} {looped} {}|", m.volume, m.fade_in, m.fade_out, m.duck));
        }
        for c in &self.clips {
            h.update(c.pcm.digest());
            h.update(format!("clip {} {}|", c.start, c.volume));
        }
        h.finalize().into()
    }
}

#[derive(Debug, Clone)]
pub struct Music {
    pub pcm: Arc<Pcm>,
    pub volume: f32,
    pub fade_in: f64,
    pub fade_out: f64,
    pub looped: bool,
    /// Gain (a fraction of `volume`) while a clip plays.
    pub duck: f32,
}

#[derive(Debug, Clone)]
pub struct Clip {
    pub pcm: Arc<Pcm>,
    /// Seconds from the start of the video.
    pub start: f64,
    pub volume: f32,
}

/// Decodes a whole sound file to [`Pcm`], resampled to 48 kHz stereo (mono is copied to both
/// sides, more channels are downmixed by FFmpeg's resampler).
pub fn decode(path: &std::path::Path) -> Result<Pcm, String> {
    use ffmpeg::format::{sample::Type, Sample};
    use ffmpeg::util::channel_layout::ChannelLayout;
    use ffmpeg_next as ffmpeg;

    crate::ffmpeg::init();
    let fail = |what: &str, e: ffmpeg::Error| format!("{}: {what}: {e}", path.display());
    let mut input = ffmpeg::format::input(&path).map_err(|e| fail("cannot open it as audio", e))?;
    let stream = input
        .streams()
        .best(ffmpeg::media::Type::Audio)
        .ok_or_else(|| format!("{}: the file has no audio stream", path.display()))?;
    let index = stream.index();
    let ctx = ffmpeg::codec::context::Context::from_parameters(stream.parameters())
        .map_err(|e| fail("unsupported audio", e))?;
    let mut decoder = ctx.decoder().audio().map_err(|e| fail("no decoder for it", e))?;
    let layout = |d: &ffmpeg::decoder::Audio| {
        let l = d.channel_layout();
        if l.is_empty() {
            ChannelLayout::default(d.channels() as i32)
        } else {
            l
        }
    };
    let target = Sample::F32(Type::Packed);
    let mut resampler = ffmpeg::software::resampling::Context::get(
        decoder.format(),
        layout(&decoder),
        decoder.rate(),
        target,
        ChannelLayout::STEREO,
        RATE,
    )
    .map_err(|e| fail("cannot resample it", e))?;
    let mut samples: Vec<f32> = Vec::new();
    let mut decoded = ffmpeg::frame::Audio::empty();
    let take = |out: &ffmpeg::frame::Audio, samples: &mut Vec<f32>| {
        let n = out.samples() * 2;
        if n > 0 {
            let bytes = &out.data(0)[..n * 4];
            samples.extend(bytes.chunks_exact(4).map(|b| f32::from_ne_bytes([b[0], b[1], b[2], b[3]])));
        }
    };
    // Five minutes is far longer than any bill video; more is a wrong file.
    const MAX_FRAMES: usize = RATE as usize * 300;
    let mut receive = |decoder: &mut ffmpeg::decoder::Audio,
                       resampler: &mut ffmpeg::software::resampling::Context,
                       samples: &mut Vec<f32>|
     -> Result<(), String> {
        while decoder.receive_frame(&mut decoded).is_ok() {
            if decoded.channel_layout().is_empty() {
                decoded.set_channel_layout(layout(decoder));
            }
            let mut out = ffmpeg::frame::Audio::empty();
            resampler.run(&decoded, &mut out).map_err(|e| fail("resampling failed", e))?;
            take(&out, samples);
            if samples.len() / 2 > MAX_FRAMES {
                return Err(format!("{}: longer than 5 minutes; use a shorter file", path.display()));
            }
        }
        Ok(())
    };
    for (s, packet) in input.packets() {
        if s.index() != index {
            continue;
        }
        decoder.send_packet(&packet).map_err(|e| fail("corrupt audio", e))?;
        receive(&mut decoder, &mut resampler, &mut samples)?;
    }
    decoder.send_eof().map_err(|e| fail("corrupt audio", e))?;
    receive(&mut decoder, &mut resampler, &mut samples)?;
    // What the resampler still holds.
    loop {
        let mut out = ffmpeg::frame::Audio::new(target, 4096, ChannelLayout::STEREO);
        out.set_rate(RATE);
        match resampler.flush(&mut out) {
            Ok(_) if out.samples() > 0 => take(&out, &mut samples),
            _ => break,
        }
    }
    Ok(Pcm::new(samples))
}

/// How long the gain takes to move when the music ducks under a clip, in seconds.
const DUCK_RAMP: f64 = 0.2;

/// Mixes a plan into `frames` stereo frames at [`RATE`]: the music (looped or trimmed, faded
/// in and out, ducked while clips play) plus every clip at its place. Peaks are limited to
/// full scale.
pub fn mix(plan: &Plan, frames: usize) -> Vec<f32> {
    let mut out = vec![0.0f32; frames * 2];
    mix_into(plan, frames, 0, &mut out);
    out
}

/// Mixes the part of a `total`-frame track that starts at frame `start` into `out`
/// (interleaved stereo, `out.len() / 2` frames), so an encoder can mix as it goes instead of
/// holding the whole track. Any part comes out the same as in [`mix`].
pub fn mix_into(plan: &Plan, total: usize, start: usize, out: &mut [f32]) {
    out.fill(0.0);
    let frames = out.len() / 2;
    let rate = RATE as f64;
    if let Some(m) = &plan.music {
        let len = m.pcm.frames();
        // Where clips play, as frame ranges, for ducking.
        let spans: Vec<(f64, f64)> =
            plan.clips.iter().map(|c| (c.start * rate, c.start * rate + c.pcm.frames() as f64)).collect();
        let ramp = DUCK_RAMP * rate;
        let fade_in = m.fade_in * rate;
        let fade_out = m.fade_out * rate;
        for k in 0..frames {
            let i = start + k;
            let src = if m.looped && len > 0 {
                i % len
            } else if i < len {
                i
            } else {
                break;
            };
            let t = i as f64;
            let mut gain = m.volume as f64;
            if fade_in > 0.0 {
                gain *= (t / fade_in).min(1.0);
            }
            if fade_out > 0.0 {
                gain *= ((total as f64 - t) / fade_out).clamp(0.0, 1.0);
            }
            // Ducked inside a clip, easing down before it and back up after it.
            let depth = spans
                .iter()
                .map(|&(a, b)| {
                    if t >= a && t <= b {
                        1.0
                    } else if t < a {
                        (1.0 - (a - t) / ramp).max(0.0)
                    } else {
                        (1.0 - (t - b) / ramp).max(0.0)
                    }
                })
                .fold(0.0f64, f64::max);
            gain *= 1.0 - depth * (1.0 - m.duck as f64);
            out[2 * k] += m.pcm.samples[2 * src] * gain as f32;
            out[2 * k + 1] += m.pcm.samples[2 * src + 1] * gain as f32;
        }
    }
    for c in &plan.clips {
        let offset = (c.start * rate).round() as usize;
        // The clip's frames that fall in [start, start + frames).
        let from = start.max(offset);
        let to = (start + frames).min(offset + c.pcm.frames()).min(total);
        for i in from..to {
            let (k, j) = (i - start, i - offset);
            out[2 * k] += c.pcm.samples[2 * j] * c.volume;
            out[2 * k + 1] += c.pcm.samples[2 * j + 1] * c.volume;
        }
    }
    for s in out.iter_mut() {
        *s = s.clamp(-1.0, 1.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(frames: usize, level: f32) -> Arc<Pcm> {
        Arc::new(Pcm::new(vec![level; frames * 2]))
    }

    #[test]
    fn clips_land_at_their_sample_and_the_music_loops_fades_and_ducks() {
        let music =
            Music { pcm: tone(1000, 0.5), volume: 1.0, fade_in: 0.0, fade_out: 0.0, looped: true, duck: 0.2 };
        let click = Clip { pcm: tone(10, 0.3), start: 1.0, volume: 1.0 };
        let frames = RATE as usize * 2;
        let out = mix(&Plan { music: Some(music), clips: vec![click] }, frames);
        assert_eq!(out.len(), frames * 2);
        // Far from the clip: the looped music at full volume.
        assert!((out[2 * 100] - 0.5).abs() < 1e-6 && (out[2 * 30_000] - 0.5).abs() < 1e-6);
        // In the clip: ducked music (0.5 * 0.2) plus the clip.
        let at = RATE as usize;
        assert!((out[2 * at] - (0.1 + 0.3)).abs() < 1e-5, "{}", out[2 * at]);
        // Half-way through the ramp before it.
        let before = at - (DUCK_RAMP * RATE as f64 / 2.0) as usize;
        assert!((out[2 * before] - 0.5 * (1.0 - 0.5 * 0.8)).abs() < 1e-3, "{}", out[2 * before]);
    }

    #[test]
    fn mixing_in_pieces_gives_the_same_track() {
        let music = Music {
            pcm: tone(777, 0.4),
            volume: 0.8,
            fade_in: 0.01,
            fade_out: 0.02,
            looped: true,
            duck: 0.25,
        };
        let clips = vec![Clip { pcm: tone(3000, 0.2), start: 0.05, volume: 1.5 }];
        let plan = Plan { music: Some(music), clips };
        let total = 10_000;
        let whole = mix(&plan, total);
        let mut pieces = Vec::new();
        for start in (0..total).step_by(1024) {
            let mut out = vec![0.0; 2 * 1024.min(total - start)];
            mix_into(&plan, total, start, &mut out);
            pieces.extend(out);
        }
        assert_eq!(whole, pieces);
    }

    #[test]
    fn a_plan_digest_changes_with_anything_the_mix_depends_on() {
        let plan = |music: f32, voice: f32, start: f64, volume: f32| Plan {
            music: Some(Music {
                pcm: tone(500, music),
                volume: 0.35,
                fade_in: 0.2,
                fade_out: 0.5,
                looped: true,
                duck: 0.3,
            }),
            clips: vec![Clip { pcm: tone(300, voice), start, volume }],
        };
        let base = plan(0.5, 0.2, 0.3, 1.0);
        // Equal inputs decoded apart: the same key.
        assert_eq!(base.digest(48_000), plan(0.5, 0.2, 0.3, 1.0).digest(48_000));
        let others = [
            base.digest(48_001),
            plan(0.5, 0.2, 0.3 + 1.0 / 48_000.0, 1.0).digest(48_000),
            plan(0.5, 0.2, 0.3, 0.99).digest(48_000),
            plan(0.5, 0.21, 0.3, 1.0).digest(48_000),
            plan(0.51, 0.2, 0.3, 1.0).digest(48_000),
            Plan { music: None, ..base.clone() }.digest(48_000),
            Plan { clips: vec![], ..base.clone() }.digest(48_000),
        ];
        for (i, other) in others.iter().enumerate() {
            assert_ne!(base.digest(48_000), *other, "change {i}");
        }
        let mut music = base.music.clone().unwrap();
        for change in 0..5 {
            let mut m = music.clone();
            match change {
                0 => m.volume = 0.36,
                1 => m.fade_in = 0.3,
                2 => m.fade_out = 0.4,
                3 => m.looped = false,
                _ => m.duck = 0.31,
            }
            let changed = Plan { music: Some(m), ..base.clone() };
            assert_ne!(base.digest(48_000), changed.digest(48_000), "music change {change}");
        }
        music.volume = 0.35;
        assert_eq!(base.digest(48_000), Plan { music: Some(music), ..base.clone() }.digest(48_000));
    }

    #[test]
    fn music_is_trimmed_faded_and_peaks_are_limited() {
        let music = Music {
            pcm: tone(RATE as usize, 0.9),
            volume: 1.0,
            fade_in: 0.5,
            fade_out: 0.5,
            looped: false,
            duck: 1.0,
        };
        let loud = Clip { pcm: tone(100, 0.9), start: 0.75, volume: 1.0 };
        let frames = RATE as usize * 2;
        let out = mix(&Plan { music: Some(music), clips: vec![loud] }, frames);
        assert_eq!(out[0], 0.0, "fades in from silence");
        assert!((out[2 * (RATE as usize / 4)] - 0.45).abs() < 1e-3, "half-way through the fade-in");
        assert_eq!(out[2 * (RATE as usize * 3 / 2)], 0.0, "not looped: silence after the file");
        assert_eq!(out[2 * (RATE as usize * 3 / 4)], 1.0, "0.9 + 0.9 is limited to full scale");
    }
}
