//! Raster: scene graph + frame index -> pixels.
//!
//! In: a [`SceneGraph`] and a frame number. Out: an RGBA [`tiny_skia::Pixmap`] of the canvas
//! size (premultiplied; every pixel opaque, since the background is). Rendering is a pure function
//! of its inputs: no clock, no randomness, no global state. Vector work (anti-aliased shapes,
//! gradients, glyph outlines, transforms) is tiny-skia's.
//!
//! The scene graph holds no render caches: the renderer keeps its own ([`Cache`]: backgrounds
//! painted once, text sprites), keyed by scene and node index, and what it keeps from frame to
//! frame of one video ([`Layers`], [`Drawer`]: the settled layers, the held frames).
//!
//! One module per thing drawn (`shape`, `text`, `image`, `chart`, `qr`), the paints they share
//! (`paint`), transitions (`composite`), and the frame-to-frame engine: what each frame's
//! drawing depends on (`state`), where a node paints (`extent`), the settled layers (`settle`)
//! and the caches (`cache`). [`sheet`]: contact sheets of many frames.

mod cache;
mod chart;
mod composite;
mod extent;
mod image;
mod paint;
mod qr;
mod settle;
mod shape;
pub mod sheet;
mod state;
mod text;

use tiny_skia::{Pixmap, Transform};

use crate::scene::{Node, NodeKind, Scene, SceneGraph};
pub use cache::Cache;
use cache::Sprites;
use chart::Parts;
pub use settle::{render_into_cached, Drawer, Layers};
pub use state::{
    frame_state, node_state, ChartState, Content, Exact, FrameState, NodeState, Placement, SceneState,
};

/// Renders frame `frame` of `graph`.
pub fn render(graph: &SceneGraph, frame: u32) -> Pixmap {
    let mut canvas = Pixmap::new(graph.width, graph.height).expect("canvas size checked by the storyboard");
    render_into(graph, frame, &mut canvas, &mut Cache::default());
    canvas
}

/// Renders into an existing canvas of the right size (lets the encoder reuse one buffer), with
/// the caches of `graph` kept in `cache` (which serves this graph only).
pub fn render_into(graph: &SceneGraph, frame: u32, canvas: &mut Pixmap, cache: &mut Cache) {
    // Backgrounds (full-frame gradients, the costliest thing drawn) are painted once per video
    // and copied into each frame.
    canvas.data_mut().copy_from_slice(cache.backdrops.video(graph).data());
    // Scenes that overlap this frame: usually one, two during a crossfade.
    let active = graph.scenes.iter().enumerate().filter(|(_, s)| s.contains(frame));
    for (i, (si, scene)) in active.enumerate() {
        let local = frame - scene.start;
        if local < scene.transition_frames {
            // Draw the incoming scene on its own layer (with the video background under it
            // when it has none), then put it over what is there as the transition says.
            let mut layer = Pixmap::new(graph.width, graph.height).expect("positive size");
            cache.backdrops.incoming_layer(graph, si, i > 0, &mut layer);
            draw_scene(&mut layer, graph, si, local, &mut cache.sprites);
            let opaque = i > 0 || scene.background.is_some();
            let p = transition_progress(scene, local);
            composite::transition(canvas, &layer, opaque, scene.transition, p);
        } else {
            if scene.background.is_some() {
                cache.backdrops.scene(graph, si, canvas);
            }
            draw_scene(canvas, graph, si, local, &mut cache.sprites);
        }
    }
}

/// Where each node drawn at `frame` paints, in canvas pixels (its ink as placed and scaled:
/// see `extent::node_extent`), with the node: for outputs that put something on the picture
/// without covering its content, like the poster's play button.
pub fn painted(graph: &SceneGraph, frame: u32) -> Vec<(&Node, crate::scene::Rect)> {
    let mut out = Vec::new();
    for scene in graph.scenes.iter().filter(|s| s.contains(frame)) {
        let t = (frame - scene.start) as f32 / graph.fps as f32;
        for node in &scene.nodes {
            if let Some(e) = extent::node_extent(node, t, graph.width, graph.height) {
                let (x, y) = (e.x0 as f32, e.y0 as f32);
                out.push((node, crate::scene::Rect { x, y, w: e.x1 as f32 - x, h: e.y1 as f32 - y }));
            }
        }
    }
    out
}

/// How far (0..1, both ends excluded) the transition bringing `scene` in is at its frame
/// `local`.
fn transition_progress(scene: &Scene, local: u32) -> f32 {
    (local as f32 + 1.0) / (scene.transition_frames as f32 + 1.0)
}

/// Draws the nodes of scene `si` at its frame `local` (its background is the caller's: see
/// [`render_into`]).
fn draw_scene(canvas: &mut Pixmap, graph: &SceneGraph, si: usize, local: u32, sprites: &mut Sprites) {
    let scene = &graph.scenes[si];
    let t = local as f32 / graph.fps as f32;
    for (ni, node) in scene.nodes.iter().enumerate() {
        draw_node(canvas, node, NodeAt { scene: si, node: ni }, t, Parts::ALL, sprites);
    }
}

/// Where a node is in its graph: its scene's index and its own in the scene (what the
/// renderer's caches are keyed by).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct NodeAt {
    pub scene: usize,
    pub node: usize,
}

/// Draws `parts` of `node` (see [`Parts`]: charts can be drawn in parts; other nodes whole) as
/// it is at `t` seconds into its scene.
fn draw_node(canvas: &mut Pixmap, node: &Node, at: NodeAt, t: f32, parts: Parts, sprites: &mut Sprites) {
    let Some((opacity, tf)) = placed(node, t) else {
        return;
    };
    let b = node.bounds;
    match &node.kind {
        NodeKind::Rect { fill, radius, stroke } => {
            shape::draw_rect(canvas, b, fill, *radius, *stroke, opacity, tf)
        }
        NodeKind::Text(text) => {
            let key = (at, text.variant_at(t));
            text::draw(canvas, text.at(t), key, (b.x, b.y), opacity, tf, sprites)
        }
        NodeKind::Image { pixels, offset } => image::draw(canvas, pixels, *offset, opacity, tf),
        NodeKind::Chart(chart) => chart::draw(canvas, chart, t, opacity, tf, parts),
        NodeKind::Qr(qr) => qr::draw(canvas, qr, b, opacity, tf),
        NodeKind::Progress(p) => shape::draw_progress(canvas, p, b, t, opacity, tf),
    }
}

/// Where and how strongly `node` is drawn at `t`: its opacity, and the transform from its box
/// (origin at the box's top-left) to the canvas; None when it is not drawn at all.
fn placed(node: &Node, t: f32) -> Option<(f32, Transform)> {
    let state = node.animation.at(t);
    let opacity = (node.opacity * state.opacity).clamp(0.0, 1.0);
    if opacity <= 0.0 || state.scale <= 0.0 {
        return None;
    }
    // Move by the animated offset, then scale around the anchor point.
    let (ox, oy) = (node.origin.0 + state.dx, node.origin.1 + state.dy);
    let tf = Transform::from_translate(ox, oy)
        .pre_scale(state.scale, state.scale)
        .pre_translate(node.bounds.x + state.dx - ox, node.bounds.y + state.dy - oy);
    Some((opacity, tf))
}

/// Converts a rendered frame to straight-alpha RGBA (for PNG files).
pub fn to_rgba_image(pix: &Pixmap) -> ::image::RgbaImage {
    let mut img = ::image::RgbaImage::new(pix.width(), pix.height());
    for (dst, src) in img.pixels_mut().zip(pix.pixels()) {
        let c = src.demultiply();
        *dst = ::image::Rgba([c.red(), c.green(), c.blue(), c.alpha()]);
    }
    img
}
