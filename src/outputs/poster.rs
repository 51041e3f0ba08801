//! The poster: the still an email shows for the video, a JPEG, optionally with a play button so
//! it reads as a video.

use std::path::Path;

use tiny_skia::{FillRule, Paint, PathBuilder, Pixmap, Transform};

use super::{fail, OutputsError};
use crate::output::write_atomically;
use crate::raster;
use crate::scene::{Poster, SceneGraph};

/// Writes the poster frame as a JPEG, with a play button when the storyboard asks for one.
pub fn write_poster(graph: &SceneGraph, out: &Path, tag: &str) -> Result<(), OutputsError> {
    let Poster { at, play_button } = graph.companions.poster;
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
