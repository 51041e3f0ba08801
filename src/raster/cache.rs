//! The renderer's own caches: pictures that never change within a video, made on first use and
//! kept out of the scene graph (which stays pure data). Keyed by scene index and node index, so
//! a [`Cache`] serves the one graph it was first used with.
//!
//! Keeping a result only saves work: each one is a pure function of the graph, so frames are
//! the same pixels with a warm cache, a cold one, or none.

use std::collections::HashMap;

use tiny_skia::{Color, Pixmap, Rect as SkRect};

use super::paint::fill_rect_paint;
use super::NodeAt;
use crate::scene::SceneGraph;

/// What a video's renderer keeps between frames that never changes: backgrounds and text
/// sprites.
#[derive(Default)]
pub struct Cache {
    pub(super) backdrops: Backdrops,
    pub(super) sprites: Sprites,
}

/// Full-canvas backgrounds (full-frame gradients, the costliest thing drawn), painted once per
/// video and copied into each frame.
#[derive(Default)]
pub(super) struct Backdrops {
    /// The video's background.
    video: Option<Pixmap>,
    /// By scene index: the scene's background over the video's (what its frames start from).
    over_video: HashMap<usize, Pixmap>,
    /// By scene index: the scene's background alone, over nothing (the layer a transition
    /// brings in).
    alone: HashMap<usize, Pixmap>,
}

/// The whole canvas, as a rectangle.
fn full_rect(graph: &SceneGraph) -> SkRect {
    SkRect::from_xywh(0.0, 0.0, graph.width as f32, graph.height as f32).expect("positive size")
}

/// A blank picture of the canvas's size.
fn blank(graph: &SceneGraph) -> Pixmap {
    Pixmap::new(graph.width, graph.height).expect("positive size")
}

/// The video's background, painted once.
fn video<'a>(slot: &'a mut Option<Pixmap>, graph: &SceneGraph) -> &'a Pixmap {
    slot.get_or_insert_with(|| {
        let mut p = blank(graph);
        fill_rect_paint(&mut p, full_rect(graph), &graph.background, 1.0);
        p
    })
}

impl Backdrops {
    /// The video's background, painted once.
    pub(super) fn video(&mut self, graph: &SceneGraph) -> &Pixmap {
        video(&mut self.video, graph)
    }

    /// Paints into `canvas` what a frame of scene `si` starts from: the video's background,
    /// then the scene's own.
    pub(super) fn scene(&mut self, graph: &SceneGraph, si: usize, canvas: &mut Pixmap) {
        let video = video(&mut self.video, graph);
        let start = match &graph.scenes[si].background {
            Some(bg) => self.over_video.entry(si).or_insert_with(|| {
                let mut p = blank(graph);
                p.data_mut().copy_from_slice(video.data());
                fill_rect_paint(&mut p, full_rect(graph), bg, 1.0);
                p
            }),
            None => video,
        };
        canvas.data_mut().copy_from_slice(start.data());
    }

    /// Paints into `layer` what incoming scene `si` is drawn on during its transition: its own
    /// background, else the video's (over another scene) or nothing (the first scene, over the
    /// video background).
    pub(super) fn incoming_layer(
        &mut self,
        graph: &SceneGraph,
        si: usize,
        over_a_scene: bool,
        layer: &mut Pixmap,
    ) {
        let start = match &graph.scenes[si].background {
            Some(bg) => self.alone.entry(si).or_insert_with(|| {
                let mut p = blank(graph);
                fill_rect_paint(&mut p, full_rect(graph), bg, 1.0);
                p
            }),
            None if over_a_scene => video(&mut self.video, graph),
            None => return layer.fill(Color::TRANSPARENT),
        };
        layer.data_mut().copy_from_slice(start.data());
    }
}

/// A text node's variant: the node, and the index of the variant among the node's.
pub(super) type SpriteKey = (NodeAt, usize);

/// Text sprites by node and variant (see [`super::text`]).
#[derive(Default)]
pub(super) struct Sprites(HashMap<SpriteKey, Sprite>);

/// A text's glyphs drawn once over nothing, at a sub-pixel `phase` (its resting place's
/// fraction of a pixel): `pixmap`'s top-left corner is at `origin` whole pixels from the
/// block's origin less the phase; None when the text has no glyph.
pub(super) struct Sprite {
    pub phase: (f32, f32),
    pub origin: (i32, i32),
    pub pixmap: Option<Pixmap>,
}

impl Sprites {
    /// The sprite kept under `key`, made by `make` the first time.
    pub(super) fn get_or_make(&mut self, key: SpriteKey, make: impl FnOnce() -> Sprite) -> &Sprite {
        self.0.entry(key).or_insert_with(make)
    }
}
