//! One frame of a record's video as a picture: what `preview --at` writes and what the studio
//! shows when an author scrubs. One path for both, so the studio shows exactly what the command
//! line would.
//!
//! In: a bound [`SceneGraph`] and a time in seconds. Out: the frame's index, then its RGBA
//! picture, drawn by [`raster::render_into`] with a renderer cache the caller may keep across
//! frames of the same graph (a fresh one draws exactly what a kept one does: the renderer's
//! caches only save work).

use thiserror::Error;

use crate::raster;
use crate::scene::SceneGraph;

/// A time that is not in the video.
#[derive(Debug, Error, PartialEq)]
pub enum StillError {
    #[error("{at:.2}s is past the end of this record's video ({duration:.2}s)")]
    PastTheEnd { at: f64, duration: f64 },
    #[error("the time must be 0 or more seconds, but is {at}")]
    Negative { at: f64 },
}

/// The frame shown `secs` seconds into the video (the nearest one), refusing a time outside it.
pub fn frame_at(graph: &SceneGraph, secs: f64) -> Result<u32, StillError> {
    // NaN too: it is no time.
    if secs.is_nan() || secs < 0.0 {
        return Err(StillError::Negative { at: secs });
    }
    if secs > graph.duration_secs() {
        return Err(StillError::PastTheEnd { at: secs, duration: graph.duration_secs() });
    }
    Ok(graph.frame_at(secs))
}

/// Draws frame `frame` of `graph`, with `cache` kept for this graph only.
pub fn draw(graph: &SceneGraph, frame: u32, cache: &mut raster::Cache) -> image::RgbaImage {
    let mut canvas =
        tiny_skia::Pixmap::new(graph.width, graph.height).expect("canvas size checked by the storyboard");
    raster::render_into(graph, frame, &mut canvas, cache);
    raster::to_rgba_image(&canvas)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scene::{Paint, Rgba};

    fn blank(frames: u32) -> SceneGraph {
        SceneGraph {
            width: 8,
            height: 4,
            fps: 10,
            total_frames: frames,
            background: Paint::Solid(Rgba::rgb(10, 20, 30)),
            scenes: Vec::new(),
            companions: Default::default(),
        }
    }

    #[test]
    fn times_outside_the_video_are_refused_with_its_length() {
        let g = blank(20);
        assert_eq!(frame_at(&g, 0.96), Ok(10));
        assert_eq!(frame_at(&g, 2.0), Ok(19));
        let e = frame_at(&g, 2.5).unwrap_err();
        assert_eq!(e.to_string(), "2.50s is past the end of this record's video (2.00s)");
        assert!(frame_at(&g, -1.0).is_err() && frame_at(&g, f64::NAN).is_err());
    }

    #[test]
    fn a_kept_cache_draws_what_a_fresh_render_draws() {
        let g = blank(20);
        let mut cache = raster::Cache::default();
        let kept = draw(&g, 3, &mut cache);
        let again = draw(&g, 3, &mut cache);
        assert_eq!(kept, raster::to_rgba_image(&raster::render(&g, 3)));
        assert_eq!(kept, again);
        assert_eq!(kept.get_pixel(0, 0).0, [10, 20, 30, 255]);
    }
}
