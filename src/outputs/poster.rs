//! The poster: the still an email shows for the video, a JPEG, optionally with a play button so
//! it reads as a video.
//!
//! The play button goes where the storyboard says (`play_button: { at: top-right }`), or by
//! default where it covers no text: of the spots on a grid over the picture, the one nearest the
//! centre whose disc keeps clear of every text (and chart) drawn at the poster's frame, and of
//! images and QR codes too where it can.

use std::path::Path;

use tiny_skia::{FillRule, Paint, PathBuilder, Pixmap, Transform};

use super::{fail, OutputsError};
use crate::output::write_atomically;
use crate::raster;
use crate::scene::{NodeKind, Rect, SceneGraph};

/// Writes the poster frame as a JPEG, with a play button when the storyboard asks for one.
pub fn write_poster(graph: &SceneGraph, out: &Path, tag: &str) -> Result<(), OutputsError> {
    let rgb = image::DynamicImage::ImageRgba8(poster_image(graph)).to_rgb8();
    write_atomically(out, tag, |tmp| {
        let file = std::fs::File::create(tmp).map_err(|e| fail(out, e))?;
        let mut w = std::io::BufWriter::new(file);
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut w, 88)
            .encode_image(&rgb)
            .map_err(|e| fail(out, e))?;
        std::io::Write::flush(&mut w).map_err(|e| fail(out, e))
    })
}

/// The poster's picture: the frame at the poster's time, with its play button if it has one.
pub fn poster_image(graph: &SceneGraph) -> image::RgbaImage {
    let mut pix = raster::render(graph, graph.frame_at(graph.companions.poster.at));
    if let Some(disc) = play_button(graph) {
        draw_play_button(&mut pix, disc);
    }
    raster::to_rgba_image(&pix)
}

/// The play button's disc: centre and radius in canvas pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Disc {
    pub x: f32,
    pub y: f32,
    pub r: f32,
}

impl Disc {
    /// Whether the disc, grown by `gap`, meets the rectangle.
    pub fn meets(&self, b: Rect, gap: f32) -> bool {
        let dx = (b.x - self.x).max(self.x - (b.x + b.w)).max(0.0);
        let dy = (b.y - self.y).max(self.y - (b.y + b.h)).max(0.0);
        dx * dx + dy * dy < (self.r + gap) * (self.r + gap)
    }
}

/// Where the poster's play button goes, None when it has none. Its radius is 11% of the
/// picture's height; its centre stays 1.4 radii from the edges.
pub fn play_button(graph: &SceneGraph) -> Option<Disc> {
    let poster = graph.companions.poster;
    if !poster.play_button {
        return None;
    }
    let (w, h) = (graph.width as f32, graph.height as f32);
    let r = h * 0.11;
    let inset = (r * 1.4).min(w / 2.0).min(h / 2.0);
    Some(match poster.play_button_at {
        Some(anchor) => {
            let (fx, fy) = anchor.fractions();
            Disc { x: inset + fx * (w - 2.0 * inset), y: inset + fy * (h - 2.0 * inset), r }
        }
        None => clear_spot(graph, graph.frame_at(poster.at), r, inset),
    })
}

/// The spot nearest the centre whose disc keeps a quarter of its radius clear of every text and
/// chart drawn at `frame` (and of images and QR codes, if a spot does); when none does, the
/// one that covers the least text.
fn clear_spot(graph: &SceneGraph, frame: u32, r: f32, inset: f32) -> Disc {
    let (w, h) = (graph.width as f32, graph.height as f32);
    let painted = raster::painted(graph, frame);
    let boxes = |text: bool| -> Vec<Rect> {
        painted
            .iter()
            .filter(|(n, _)| match n.kind {
                NodeKind::Text(_) | NodeKind::Chart(_) => text,
                NodeKind::Image { .. } | NodeKind::Qr(_) | NodeKind::Progress(_) => !text,
                NodeKind::Rect { .. } => false,
            })
            .map(|(_, b)| *b)
            .collect()
    };
    let (text, pictures) = (boxes(true), boxes(false));
    let gap = r * 0.25;
    let step = (r / 8.0).max(2.0);
    let steps = |len: f32| ((len - 2.0 * inset) / step).floor().max(0.0) as u32;
    let mut spots: Vec<Disc> = (0..=steps(w))
        .flat_map(|i| (0..=steps(h)).map(move |j| (i, j)))
        .map(|(i, j)| Disc { x: inset + i as f32 * step, y: inset + j as f32 * step, r })
        .collect();
    // Nearest the centre first; the grid's order breaks ties, so the choice is stable.
    let from_centre = |d: &Disc| (d.x - w / 2.0) * (d.x - w / 2.0) + (d.y - h / 2.0) * (d.y - h / 2.0);
    spots.sort_by(|a, b| from_centre(a).total_cmp(&from_centre(b)));
    let clear = |d: &Disc, of: &[Rect]| of.iter().all(|b| !d.meets(*b, gap));
    if let Some(d) = spots.iter().find(|d| clear(d, &text) && clear(d, &pictures)) {
        return *d;
    }
    if let Some(d) = spots.iter().find(|d| clear(d, &text)) {
        return *d;
    }
    // No clear spot: the least text covered, sampled every eighth of the radius.
    let covered = |d: &Disc| {
        let n = 16;
        let mut count = 0;
        for i in 0..=n {
            for j in 0..=n {
                let (x, y) =
                    (d.x - r + 2.0 * r * i as f32 / n as f32, d.y - r + 2.0 * r * j as f32 / n as f32);
                let inside = (x - d.x) * (x - d.x) + (y - d.y) * (y - d.y) <= r * r;
                if inside && text.iter().any(|b| x >= b.x && x < b.x + b.w && y >= b.y && y < b.y + b.h) {
                    count += 1;
                }
            }
        }
        count
    };
    spots.iter().min_by_key(|d| covered(d)).copied().unwrap_or(Disc { x: w / 2.0, y: h / 2.0, r })
}

/// A play button: a dark translucent disc with a white ring and triangle, visible on light and
/// dark pictures alike.
pub fn draw_play_button(pix: &mut Pixmap, disc: Disc) {
    let Disc { x: cx, y: cy, r } = disc;
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
