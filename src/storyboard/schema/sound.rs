//! The storyboard's sound: the music bed, the mix's loudness target and the clips a scene plays
//! (see docs/storyboard.md, "Sound").

use schemars::JsonSchema;
use serde::Deserialize;

use super::{one_f32, one_second, yes};
use crate::storyboard::bindable::{Bindable, Expr};
use crate::style::Duration;

/// A music bed: looped (or trimmed) to the video's length, faded in and out, and ducked under
/// the scenes' clips.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AudioSpec {
    /// Audio file under the assets folder (WAV, MP3, OGG, M4A…); may hold bindings.
    pub music: Bindable<String>,
    /// Gain, 0–1 (1: as recorded).
    #[serde(default = "music_volume")]
    pub volume: f32,
    /// How long the music takes to rise from silence at the start.
    #[serde(default = "one_second")]
    pub fade_in: Duration,
    /// How long the music takes to fall to silence at the end.
    #[serde(default = "two_seconds")]
    pub fade_out: Duration,
    /// Start again when the file ends (otherwise silence after it).
    #[serde(rename = "loop", default = "yes")]
    pub looped: bool,
    /// The music's gain while a clip plays, as a fraction of `volume`.
    #[serde(default = "duck")]
    pub duck: f32,
}

/// The mix's loudness target: `sound: { loudness: -16, true_peak: -1 }`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SoundSpec {
    /// Integrated loudness (EBU R128), LUFS.
    #[serde(default = "loudness")]
    pub loudness: f32,
    /// Ceiling for the true (inter-sample) peak, dBTP.
    #[serde(default = "true_peak")]
    pub true_peak: f32,
}

impl Default for SoundSpec {
    fn default() -> SoundSpec {
        SoundSpec { loudness: loudness(), true_peak: true_peak() }
    }
}

fn loudness() -> f32 {
    -16.0
}
fn true_peak() -> f32 {
    -1.0
}

fn music_volume() -> f32 {
    0.5
}
fn two_seconds() -> Duration {
    Duration(2.0)
}
fn duck() -> f32 {
    0.3
}

/// A sound clip in a scene, e.g. the voice-over: `{ src: "voice/{{ lang }}/intro.wav" }`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClipSpec {
    /// Audio file under the assets folder; may hold bindings.
    pub src: Bindable<String>,
    /// Wait this long after the scene starts before playing the clip.
    #[serde(default)]
    pub delay: Duration,
    /// Gain, 0–1 (1: as recorded).
    #[serde(default = "one_f32")]
    pub volume: f32,
    /// Expression; the clip plays only when it is true.
    #[serde(default)]
    pub when: Option<Expr>,
}
