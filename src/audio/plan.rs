//! The sound plan of one video, as plain data: which decoded sounds play, where and how loud.
//!
//! Bind makes a [`Plan`]; the scene graph holds it; the encoder mixes it (see `mix`). Nothing
//! here decodes or mixes, so the scene may hold a plan without depending on FFmpeg.

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
    /// The loudness the whole mix is brought to.
    pub master: Master,
}

/// The mix's target: integrated loudness (LUFS) and true-peak ceiling (dBTP).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Master {
    pub loudness: f32,
    pub true_peak: f32,
}

impl Default for Master {
    /// −16 LUFS with peaks under −1 dBTP: the usual target for speech and music on phones and
    /// the web.
    fn default() -> Master {
        Master { loudness: -16.0, true_peak: -1.0 }
    }
}

impl Plan {
    /// Everything the mix of a `total`-frame track depends on, hashed: [`mix_into`](super::mix_into) is a pure
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
        h.update(format!("master {} {}|", self.master.loudness, self.master.true_peak));
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

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(frames: usize, level: f32) -> Arc<Pcm> {
        Arc::new(Pcm::new(vec![level; frames * 2]))
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
            master: Master::default(),
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
            Plan { master: Master { loudness: -14.0, true_peak: -1.0 }, ..base.clone() }.digest(48_000),
            Plan { master: Master { loudness: -16.0, true_peak: -2.0 }, ..base.clone() }.digest(48_000),
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
}
