//! Email stills: the poster JPEG (optionally with a play button, so it reads as a video in an
//! email) and a short animated GIF preview.
//!
//! In: a bound [`SceneGraph`] and its companions' poster and preview settings. Out: files,
//! written atomically like the video.

use std::path::Path;

use image::codecs::gif::{GifEncoder, Repeat};
use image::{Delay, Frame, RgbaImage};
use tiny_skia::{FillRule, Paint, PathBuilder, Pixmap, Transform};

use crate::encode::{write_atomically, EncodeError};
use crate::raster;
use crate::scene::SceneGraph;

fn fail(out: &Path, message: impl std::fmt::Display) -> EncodeError {
    EncodeError::Finish(format!("{}: {message}", out.display()))
}

/// Writes the poster frame as a JPEG, with a play button when the storyboard asks for one.
pub fn write_poster(graph: &SceneGraph, out: &Path, tag: &str) -> Result<(), EncodeError> {
    let (at, play_button) = graph.companions.poster;
    let mut pix = raster::render(graph, graph.frame_at(at));
    if play_button {
        draw_play_button(&mut pix);
    }
    let rgb = image::DynamicImage::ImageRgba8(raster::to_rgba_image(&pix)).to_rgb8();
    write_atomically(out, tag, |tmp| {
        let file = std::fs::File::create(tmp).map_err(|e| fail(out, e))?;
        let mut w = std::io::BufWriter::new(file);
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut w, 88)
            .encode_image(&rgb)
            .map_err(|e| fail(out, e))?;
        std::io::Write::flush(&mut w).map_err(|e| fail(out, e))
    })
}

/// A play button in the middle: a dark translucent disc with a white ring and triangle,
/// visible on light and dark pictures alike.
pub fn draw_play_button(pix: &mut Pixmap) {
    let (w, h) = (pix.width() as f32, pix.height() as f32);
    let r = h * 0.11;
    let (cx, cy) = (w / 2.0, h / 2.0);
    let paint = |r: u8, g: u8, b: u8, a: u8| {
        let mut p = Paint::default();
        p.set_color_rgba8(r, g, b, a);
        p.anti_alias = true;
        p
    };
    if let Some(disc) = PathBuilder::from_circle(cx, cy, r) {
        pix.fill_path(&disc, &paint(0, 0, 0, 150), FillRule::Winding, Transform::identity(), None);
        let ring = tiny_skia::Stroke { width: r * 0.08, ..Default::default() };
        pix.stroke_path(&disc, &paint(255, 255, 255, 230), &ring, Transform::identity(), None);
    }
    // The triangle's centre of mass sits on the disc's centre.
    let s = r * 0.9;
    let mut pb = PathBuilder::new();
    pb.move_to(cx - s * 0.35, cy - s * 0.5);
    pb.line_to(cx + s * 0.58, cy);
    pb.line_to(cx - s * 0.35, cy + s * 0.5);
    pb.close();
    if let Some(tri) = pb.finish() {
        pix.fill_path(&tri, &paint(255, 255, 255, 255), FillRule::Winding, Transform::identity(), None);
    }
}

/// Writes the animated preview (looping GIF) when the storyboard has `preview`; returns
/// whether it did.
pub fn write_preview(graph: &SceneGraph, out: &Path, tag: &str) -> Result<bool, EncodeError> {
    let Some((from, secs, width, fps)) = graph.companions.preview else {
        return Ok(false);
    };
    let width = width.min(graph.width);
    let height = ((graph.height as u64 * width as u64 / graph.width as u64) as u32).max(1);
    let count = ((secs * fps as f64).round() as u32).max(1);
    let delay = Delay::from_numer_denom_ms(1000, fps);
    // Drawn one at a time as the encoder asks for them, so memory holds one frame, not all.
    let frames = (0..count).map(|i| {
        let at = from + i as f64 / fps as f64;
        let full = raster::to_rgba_image(&raster::render(graph, graph.frame_at(at)));
        let small: RgbaImage =
            image::imageops::resize(&full, width, height, image::imageops::FilterType::Triangle);
        Frame::from_parts(small, 0, 0, delay)
    });
    write_atomically(out, tag, |tmp| {
        let file = std::fs::File::create(tmp).map_err(|e| fail(out, e))?;
        let mut w = std::io::BufWriter::new(file);
        {
            // Speed 10 of 30: NeuQuant palettes good enough for flat motion graphics.
            let mut enc = GifEncoder::new_with_speed(&mut w, 10);
            enc.set_repeat(Repeat::Infinite).map_err(|e| fail(out, e))?;
            enc.encode_frames(frames).map_err(|e| fail(out, e))?;
        }
        std::io::Write::flush(&mut w).map_err(|e| fail(out, e))
    })?;
    Ok(true)
}
