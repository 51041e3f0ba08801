//! Mixing a [`Plan`] into 48 kHz stereo samples for the encoder.

use super::plan::{Plan, RATE};

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

/// The sound track of a plan: mixed whole for `frames` stereo frames, then brought to the
/// plan's loudness target (see `loudness`). What the encoder sends.
pub fn track(plan: &Plan, frames: usize) -> Vec<f32> {
    let mut out = mix(plan, frames);
    super::loudness::master(&mut out, &plan.master);
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
        let music = m.pcm.samples();
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
            out[2 * k] += music[2 * src] * gain as f32;
            out[2 * k + 1] += music[2 * src + 1] * gain as f32;
        }
    }
    for c in &plan.clips {
        let offset = (c.start * rate).round() as usize;
        // The clip's frames that fall in [start, start + frames).
        let from = start.max(offset);
        let to = (start + frames).min(offset + c.pcm.frames()).min(total);
        let clip = c.pcm.samples();
        for i in from..to {
            let (k, j) = (i - start, i - offset);
            out[2 * k] += clip[2 * j] * c.volume;
            out[2 * k + 1] += clip[2 * j + 1] * c.volume;
        }
    }
    for s in out.iter_mut() {
        *s = s.clamp(-1.0, 1.0);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::super::plan::{Clip, Master, Music, Pcm};
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
        let out = mix(&Plan { music: Some(music), clips: vec![click], master: Master::default() }, frames);
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
        let plan = Plan { music: Some(music), clips, master: Master::default() };
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
        let out = mix(&Plan { music: Some(music), clips: vec![loud], master: Master::default() }, frames);
        assert_eq!(out[0], 0.0, "fades in from silence");
        assert!((out[2 * (RATE as usize / 4)] - 0.45).abs() < 1e-3, "half-way through the fade-in");
        assert_eq!(out[2 * (RATE as usize * 3 / 2)], 0.0, "not looped: silence after the file");
        assert_eq!(out[2 * (RATE as usize * 3 / 4)], 1.0, "0.9 + 0.9 is limited to full scale");
    }
}
