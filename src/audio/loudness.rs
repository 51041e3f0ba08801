//! Loudness: a whole mix brought to a target integrated loudness with its true peak under a
//! ceiling (EBU R128 / ITU-R BS.1770, measured by the `ebur128` crate as FFmpeg's `ebur128`
//! filter measures it).
//!
//! The mix is measured whole, so mastering happens once per track, before encoding: the
//! gain that brings its integrated loudness to the target, then a look-ahead limiter that
//! keeps every sample under the ceiling (the gain eases down within 5 ms before a peak and back
//! up within 100 ms after it, so a peak is never clipped and the music does not pump), then a check
//! of the true peak (inter-sample, 4x oversampled) with a last gain down if it is still over.
//! Silence (no block above the R128 gate) stays as it is.

use ebur128::{EbuR128, Mode};

use super::plan::{Master, RATE};
use crate::math::{log10, powf};

/// How long the limiter takes to reach a peak's gain, and to let go after it (seconds).
const ATTACK: f64 = 0.005;
const RELEASE: f64 = 0.1;
/// The limiter holds sample peaks this far (dB) under the true-peak ceiling: inter-sample
/// peaks of a limited signal stay within about half a decibel of its sample peaks.
const HEADROOM_DB: f32 = 0.5;

/// What mastering did, for the logs and the tests.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Mastered {
    /// Integrated loudness of the mix as mixed (LUFS; `-inf` for silence).
    pub measured: f64,
    /// The gain applied before the limiter (dB).
    pub gain_db: f32,
    /// True peak after mastering (dBTP).
    pub true_peak: f64,
}

/// Brings `track` (interleaved stereo at [`RATE`]) to `master`'s loudness and true-peak ceiling
/// in place.
pub fn master(track: &mut [f32], master: &Master) -> Mastered {
    let measured = measure(track, Mode::I).loudness_global().unwrap_or(f64::NEG_INFINITY);
    if !measured.is_finite() {
        // Nothing above the gate: silence, or too quiet to measure; left as it is.
        return Mastered { measured, gain_db: 0.0, true_peak: true_peak_db(track) };
    }
    // Rounded to a hundredth of a decibel: a change in the last bits of the measurement (the
    // crate's float functions may differ between platforms) then rarely changes the samples.
    let gain_db = ((master.loudness as f64 - measured) * 100.0).round() as f32 / 100.0;
    let gain = db_to_gain(gain_db);
    for s in track.iter_mut() {
        *s *= gain;
    }
    limit(track, db_to_gain(master.true_peak - HEADROOM_DB));
    let mut peak = true_peak_db(track);
    if peak > master.true_peak as f64 {
        // The limiter's headroom was not enough for this signal: a plain gain down meets the
        // ceiling (true peak scales with gain).
        let down = db_to_gain(master.true_peak - peak as f32 - 0.01);
        for s in track.iter_mut() {
            *s *= down;
        }
        peak = true_peak_db(track);
    }
    tracing::debug!(measured, gain_db, true_peak = peak, "sound mastered");
    Mastered { measured, gain_db, true_peak: peak }
}

fn db_to_gain(db: f32) -> f32 {
    powf(10.0f32, db / 20.0)
}

fn measure(track: &[f32], mode: Mode) -> EbuR128 {
    let mut m = EbuR128::new(2, RATE, mode).expect("stereo at 48 kHz is a valid EBU R128 setup");
    m.add_frames_f32(track).expect("interleaved stereo frames");
    m
}

/// The louder channel's true peak, dBTP (`-inf` for silence).
fn true_peak_db(track: &[f32]) -> f64 {
    let m = measure(track, Mode::TRUE_PEAK);
    let peak = (0..2).map(|c| m.true_peak(c).unwrap_or(0.0)).fold(0.0f64, f64::max);
    20.0 * log10(peak)
}

/// A look-ahead limiter: every stereo frame's gain is the least of what its own peak needs
/// (to stay under `ceiling`) and of what the peaks around it need, eased linearly: the gain
/// moves by at most full scale per [`ATTACK`] before a peak and per [`RELEASE`] after it.
fn limit(track: &mut [f32], ceiling: f32) {
    let frames = track.len() / 2;
    let need: Vec<f32> = (0..frames)
        .map(|i| {
            let peak = track[2 * i].abs().max(track[2 * i + 1].abs());
            if peak > ceiling {
                ceiling / peak
            } else {
                1.0
            }
        })
        .collect();
    if need.iter().all(|&g| g == 1.0) {
        return;
    }
    // Backwards: the gain falls ahead of each peak; forwards: it recovers after it.
    let attack = (1.0 / (ATTACK * RATE as f64)) as f32;
    let release = (1.0 / (RELEASE * RATE as f64)) as f32;
    let mut gain = need;
    for i in (0..frames.saturating_sub(1)).rev() {
        gain[i] = gain[i].min(gain[i + 1] + attack);
    }
    for i in 1..frames {
        gain[i] = gain[i].min(gain[i - 1] + release);
    }
    for (frame, g) in track.chunks_exact_mut(2).zip(gain) {
        frame[0] *= g;
        frame[1] *= g;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 1 kHz sine at `level` (peak, linear) for `secs`, with a burst 4x louder in the middle.
    fn tone(secs: f64, level: f32, burst: bool) -> Vec<f32> {
        let n = (secs * RATE as f64) as usize;
        (0..n)
            .flat_map(|i| {
                let t = i as f32 / RATE as f32;
                let loud = burst && (n / 2..n / 2 + 2400).contains(&i);
                let s = level
                    * if loud { 4.0 } else { 1.0 }
                    * crate::math::sin(t * 1000.0 * std::f32::consts::TAU);
                [s, s]
            })
            .collect()
    }

    #[test]
    fn a_quiet_mix_is_brought_to_the_target_under_the_ceiling() {
        for (loudness, true_peak) in [(-16.0, -1.0), (-23.0, -2.0)] {
            let mut track = tone(6.0, 0.02, true);
            let before = measure(&track, Mode::I).loudness_global().unwrap();
            let done = master(&mut track, &Master { loudness, true_peak });
            assert!((done.measured - before).abs() < 1e-9);
            let after = measure(&track, Mode::I).loudness_global().unwrap();
            assert!((after - loudness as f64).abs() < 0.5, "{after} LUFS for a target of {loudness}");
            assert!(done.true_peak <= true_peak as f64, "{done:?}");
            assert!((true_peak_db(&track) - done.true_peak).abs() < 1e-9);
        }
    }

    #[test]
    fn the_limiter_eases_the_gain_around_a_peak_instead_of_clipping() {
        let mut track = vec![0.5f32; 2 * RATE as usize];
        track[RATE as usize] = 1.0;
        limit(&mut track, 0.5);
        assert!(track.iter().all(|s| *s <= 0.5 + 1e-6));
        // The gain moves by full scale per ATTACK: from 1 to the peak's 0.5 in 120 frames, so
        // 60 frames before the peak it is 0.75.
        let before = 2 * (RATE as usize / 2 - 60);
        assert!((track[before] - 0.375).abs() < 0.002, "{}", track[before]);
        // Far from it, untouched.
        assert_eq!(track[0], 0.5);
        assert_eq!(track[track.len() - 1], 0.5);
    }

    #[test]
    fn silence_stays_silence() {
        let mut track = vec![0.0f32; 2 * RATE as usize];
        let done = master(&mut track, &Master::default());
        assert!(track.iter().all(|s| *s == 0.0));
        assert_eq!(done.gain_db, 0.0);
    }
}
