//! Decoding a sound file with FFmpeg into [`Pcm`]: 48 kHz stereo `f32` samples.

use std::path::{Path, PathBuf};

use ffmpeg_next as ffmpeg;
use thiserror::Error;

use super::plan::{Pcm, RATE};
use crate::assets::ReadError;

/// Why a sound file could not be decoded. Each message starts with the file's path.
#[derive(Debug, Error)]
pub enum DecodeError {
    /// FFmpeg refused a step (`what`: "cannot open it as audio", "corrupt audio", ...).
    #[error("{}: {what}: {source}", path.display())]
    Ffmpeg {
        path: PathBuf,
        what: &'static str,
        #[source]
        source: ffmpeg::Error,
    },
    #[error("{}: the file has no audio stream", path.display())]
    NoAudioStream { path: PathBuf },
    #[error("{}: longer than 5 minutes; use a shorter file", path.display())]
    TooLong { path: PathBuf },
    /// A playlist, a concat script or any container that is not plain audio: those make FFmpeg
    /// read other files or URLs than the one named.
    #[error(
        "{}: {what}; a sound file must be OGG, MP3, WAV, FLAC, AAC, MP4/M4A or Matroska/WebM \
         (playlists and other formats are refused)",
        path.display()
    )]
    NotAudio { path: PathBuf, what: String },
    #[error("{}: not a regular file (a device, a pipe or a folder)", path.display())]
    NotAFile { path: PathBuf },
    #[error("{}: cannot be read: {reason}", path.display())]
    Unreadable { path: PathBuf, reason: String },
}

/// The demuxers a sound file may be read with (FFmpeg's names): plain audio containers, none
/// of which opens other files (the MP4 demuxer's external references are off by default).
const AUDIO_DEMUXERS: &[&str] =
    &["ogg", "mp3", "wav", "flac", "aac", "mov", "mp4", "m4a", "3gp", "3g2", "mj2", "matroska", "webm"];

/// Opens `path` for decoding: a regular file, through FFmpeg's `file` protocol only, probed
/// among [`AUDIO_DEMUXERS`] only (FFmpeg refuses any other before reading its header, which is
/// where an HLS or concat demuxer would open what the file points to).
fn open(path: &Path) -> Result<ffmpeg::format::context::Input, DecodeError> {
    let not_audio = |what: String| DecodeError::NotAudio { path: path.to_path_buf(), what };
    let head = match crate::assets::read_head(path, 64) {
        Ok(head) => head,
        Err(ReadError::NotAFile) => return Err(DecodeError::NotAFile { path: path.to_path_buf() }),
        Err(e) => return Err(DecodeError::Unreadable { path: path.to_path_buf(), reason: e.to_string() }),
    };
    // Say what a playlist is, rather than FFmpeg's "Invalid argument".
    let head = String::from_utf8_lossy(&head);
    let head = head.trim_start_matches('\u{feff}').trim_start();
    if head.starts_with("#EXTM3U") || head.starts_with("#EXT-X-") {
        return Err(not_audio("it is an HLS/M3U playlist, not a sound file".into()));
    }
    if head.starts_with("ffconcat") {
        return Err(not_audio("it is an FFmpeg concat script, not a sound file".into()));
    }
    let mut options = ffmpeg::Dictionary::new();
    options.set("protocol_whitelist", "file");
    options.set("format_whitelist", &AUDIO_DEMUXERS.join(","));
    // FFmpeg says "Invalid argument" for a format off the list, "End of file" or "Invalid
    // data" for one it cannot place: to the operator, all are a file that is not audio.
    let input = ffmpeg::format::input_with_dictionary(&path, options)
        .map_err(|e| not_audio(format!("FFmpeg does not read it as an allowed audio format ({e})")))?;
    let name = input.format().name().to_string();
    if !name.split(',').all(|n| AUDIO_DEMUXERS.contains(&n)) {
        return Err(not_audio(format!("FFmpeg reads it as `{name}`")));
    }
    Ok(input)
}

/// Decodes a whole sound file to [`Pcm`], resampled to 48 kHz stereo (mono is copied to both
/// sides, more channels are downmixed by FFmpeg's resampler).
pub fn decode(path: &Path) -> Result<Pcm, DecodeError> {
    use ffmpeg::format::{sample::Type, Sample};
    use ffmpeg::util::channel_layout::ChannelLayout;

    crate::ffmpeg::init();
    let fail = |what: &'static str, source: ffmpeg::Error| DecodeError::Ffmpeg {
        path: path.to_path_buf(),
        what,
        source,
    };
    let mut input = open(path)?;
    let stream = input
        .streams()
        .best(ffmpeg::media::Type::Audio)
        .ok_or_else(|| DecodeError::NoAudioStream { path: path.to_path_buf() })?;
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
     -> Result<(), DecodeError> {
        while decoder.receive_frame(&mut decoded).is_ok() {
            if decoded.channel_layout().is_empty() {
                decoded.set_channel_layout(layout(decoder));
            }
            let mut out = ffmpeg::frame::Audio::empty();
            resampler.run(&decoded, &mut out).map_err(|e| fail("resampling failed", e))?;
            take(&out, samples);
            if samples.len() / 2 > MAX_FRAMES {
                return Err(DecodeError::TooLong { path: path.to_path_buf() });
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
