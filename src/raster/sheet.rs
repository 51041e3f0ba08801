//! Contact sheets: the middle frame of every scene of several videos, a row per video.

use ::image::imageops::{self, FilterType};
use ::image::RgbaImage;

use crate::scene::SceneGraph;

/// One row per graph (a record, in one format), one tile per scene (its middle frame), each at
/// a third of its video's size: rows of a taller format are taller, so every shape keeps its
/// proportions side by side.
pub fn contact_sheet(graphs: &[SceneGraph]) -> RgbaImage {
    let gap = 8;
    let tile = |g: &SceneGraph| (g.width / 3, g.height / 3);
    let width = graphs.iter().map(|g| g.scenes.len() as u32 * (tile(g).0 + gap) + gap).max().unwrap_or(gap);
    let height = graphs.iter().map(|g| tile(g).1 + gap).sum::<u32>() + gap;
    let mut sheet = RgbaImage::from_pixel(width, height, ::image::Rgba([24, 24, 28, 255]));
    let mut y = gap;
    for graph in graphs {
        let (w, h) = tile(graph);
        for (col, scene) in graph.scenes.iter().enumerate() {
            let frame = scene.start + scene.frames / 2;
            let full = super::to_rgba_image(&super::render(graph, frame));
            let tile = imageops::resize(&full, w, h, FilterType::Triangle);
            let x = gap + col as u32 * (w + gap);
            imageops::replace(&mut sheet, &tile, x as i64, y as i64);
        }
        y += h + gap;
    }
    sheet
}
