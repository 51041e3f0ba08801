//! FFmpeg: initialised once, its log lines routed into `tracing`.
//!
//! The ground floor of everything that opens media through FFmpeg (the encoder, the audio
//! decoder): libx264's and libavformat's chatter never reaches the terminal raw; it arrives
//! under the `ffmpeg` target at the level FFmpeg gave it.

use std::ffi::{c_char, c_int, c_void, CStr};
use std::sync::Once;

use ffmpeg_next as ffmpeg;

static INIT: Once = Once::new();

/// Initialises FFmpeg once and routes its log lines into `tracing` (target `ffmpeg`), so that
/// libx264's and libavformat's chatter never reaches the terminal raw.
pub fn init() {
    INIT.call_once(|| {
        let _ = ffmpeg::init();
        // The callback is an `extern "C"` function with the signature av_log_set_callback
        // expects, valid for the whole program.
        // It is set once (call_once), before any other FFmpeg call of ours.
        // SAFETY: a global log level and callback, set before FFmpeg is used.
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
// SAFETY: only FFmpeg calls it, with a valid format string and va_list (see `init`).
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
    // The buffer is ours and av_log_format_line2 always NUL-terminates within its size.
    // SAFETY: FFmpeg hands us a valid format string and va_list for this call.
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
