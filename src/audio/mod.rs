//! Audio: the sound plan of a video, decoding sound files, mixing one record's sound track.
//!
//! In: audio files under the assets folder (anything FFmpeg decodes: WAV, MP3, OGG, M4A…) and
//! a [`Plan`] resolved by bind (a music bed and clips placed on the timeline). Out: 48 kHz
//! stereo samples for the encoder.
//!
//! - [`plan`]: the plan as plain data ([`Plan`], [`Music`], [`Clip`], [`Pcm`]): what the scene
//!   graph holds.
//! - `decode`: a sound file decoded by FFmpeg into [`Pcm`].
//! - `mix`: a plan mixed into samples, whole or piece by piece.
//! - `loudness`: a whole mix brought to the plan's loudness target under its true-peak ceiling.

mod decode;
mod loudness;
mod mix;
pub mod plan;

pub use decode::{decode, DecodeError};
pub use loudness::{master, Mastered};
pub use mix::{mix, mix_into, track};
pub use plan::{Clip, Master, Music, Pcm, Plan, RATE};
