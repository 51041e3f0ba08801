//! Raster: scene graph + frame index -> pixels.
//!
//! In: a [`SceneGraph`] and a frame number. Out: an RGBA [`tiny_skia::Pixmap`] of the canvas
//! size (premultiplied; every pixel opaque, since the background is). Rendering is a pure function
//! of its inputs: no clock, no randomness, no global state. Vector work (anti-aliased shapes,
//! gradients, glyph outlines, transforms) is tiny-skia's.

use std::ops::Range;

use tiny_skia::{
    Color, FillRule, GradientStop, LinearGradient, Paint as SkPaint, PathBuilder, Pixmap, PixmapPaint, Point,
    Rect as SkRect, Shader, SpreadMode, Stroke, Transform,
};

use crate::scene::chart::{align_in, Chart};
use crate::scene::text::{Sprite, TextBlock};
use crate::scene::{Easing, Node, NodeKind, Paint, Rect, Rgba, Scene, SceneGraph, TransitionKind};

/// Renders frame `frame` of `graph`.
pub fn render(graph: &SceneGraph, frame: u32) -> Pixmap {
    let mut canvas = Pixmap::new(graph.width, graph.height).expect("canvas size checked by the storyboard");
    render_into(graph, frame, &mut canvas);
    canvas
}

/// Renders into an existing canvas of the right size (lets the encoder reuse one buffer).
pub fn render_into(graph: &SceneGraph, frame: u32, canvas: &mut Pixmap) {
    // Backgrounds (full-frame gradients, the costliest thing drawn) are painted once per video
    // and copied into each frame.
    canvas.data_mut().copy_from_slice(video_backdrop(graph).data());
    // Scenes that overlap this frame: usually one, two during a crossfade.
    let active: Vec<&Scene> = graph.scenes.iter().filter(|s| s.contains(frame)).collect();
    for (i, scene) in active.iter().enumerate() {
        let local = frame - scene.start;
        if local < scene.transition_frames {
            // Draw the incoming scene on its own layer (with the video background under it
            // when it has none), then put it over what is there as the transition says.
            let mut layer = Pixmap::new(graph.width, graph.height).expect("positive size");
            incoming_layer(graph, scene, i > 0, &mut layer);
            draw_scene(&mut layer, scene, graph.fps, local);
            let opaque = i > 0 || scene.background.is_some();
            composite_transition(canvas, &layer, opaque, scene.transition, transition_progress(scene, local));
        } else {
            if scene.background.is_some() {
                render_background(graph, scene, canvas);
            }
            draw_scene(canvas, scene, graph.fps, local);
        }
    }
}

/// How far (0..1, both ends excluded) the transition bringing `scene` in is at its frame
/// `local`.
fn transition_progress(scene: &Scene, local: u32) -> f32 {
    (local as f32 + 1.0) / (scene.transition_frames as f32 + 1.0)
}

/// The whole canvas, as a rectangle.
fn full_rect(graph: &SceneGraph) -> SkRect {
    SkRect::from_xywh(0.0, 0.0, graph.width as f32, graph.height as f32).expect("positive size")
}

/// The video's background, painted once per video.
fn video_backdrop(graph: &SceneGraph) -> &Pixmap {
    painted(&graph.backdrop, graph, |p| fill_rect_paint(p, full_rect(graph), &graph.background, 1.0))
}

/// Paints what a frame of `scene` starts from: the video's background, then the scene's own.
fn render_background(graph: &SceneGraph, scene: &Scene, canvas: &mut Pixmap) {
    let start = match &scene.background {
        Some(bg) => painted(&scene.backdrop, graph, |p| {
            p.data_mut().copy_from_slice(video_backdrop(graph).data());
            fill_rect_paint(p, full_rect(graph), bg, 1.0);
        }),
        None => video_backdrop(graph),
    };
    canvas.data_mut().copy_from_slice(start.data());
}

/// A full-canvas picture, painted by `paint` over nothing the first time it is asked for.
fn painted<'a>(
    cell: &'a crate::scene::Backdrop,
    graph: &SceneGraph,
    paint: impl FnOnce(&mut Pixmap),
) -> &'a Pixmap {
    cell.0.get_or_init(|| {
        let mut p = Pixmap::new(graph.width, graph.height).expect("positive size");
        paint(&mut p);
        p
    })
}

/// Everything about frame `frame` that drawing depends on, as numbers: which scenes show and
/// how far their transitions are, and every node's animated state (see [`node_state`]). Two
/// consecutive frames with equal states draw the same pixels, so the second is a held frame:
/// nothing to draw or convert again. (The scene graph is fixed for the video; only time
/// changes between frames.)
pub fn frame_state(graph: &SceneGraph, frame: u32) -> Vec<u32> {
    let mut out = Vec::new();
    for (si, scene) in graph.scenes.iter().enumerate().filter(|(_, s)| s.contains(frame)) {
        let local = frame - scene.start;
        out.push(si as u32);
        // During a transition every frame differs.
        out.push(if local < scene.transition_frames { local } else { u32::MAX });
        let t = local as f32 / graph.fps as f32;
        for node in &scene.nodes {
            node_state(node, t, &mut out);
        }
    }
    out
}

/// How many numbers of a node's state (see [`node_state`]) say where and how strongly it is
/// drawn (opacity, offset, scale); the rest say what it shows.
const PLACEMENT: usize = 4;

/// A node's animated state at `t` seconds into its scene, as numbers: placement, opacity, text
/// variant, how far bars, lines, slices and gauges have grown. Equal states draw equal pixels.
pub fn node_state(node: &Node, t: f32, out: &mut Vec<u32>) {
    let s = node.animation.at(t);
    // The first PLACEMENT numbers.
    out.extend([s.opacity, s.dx, s.dy, s.scale].map(f32::to_bits));
    let variant = |v: &[(f32, std::sync::Arc<TextBlock>)]| v.partition_point(|(from, _)| *from <= t) as u32;
    match &node.kind {
        NodeKind::Text(text) => out.push(variant(&text.variants)),
        NodeKind::Progress(p) => out.push(p.shown(t).to_bits()),
        NodeKind::Chart(c) => {
            out.extend(c.bars.iter().map(|b| b.progress(t).to_bits()));
            out.extend(c.lines.iter().map(|l| l.progress(t).to_bits()));
            out.extend(c.slices.iter().map(|sl| sl.shown(t).to_bits()));
            out.extend(c.counters.iter().map(|k| variant(&k.4.variants)));
        }
        NodeKind::Rect { .. } | NodeKind::Image { .. } | NodeKind::Qr(_) => {}
    }
}

/// Draws a video's frames in order on one canvas, doing only what changes: a frame whose
/// drawing state (see [`frame_state`]) equals the one drawn before it is the same picture, a
/// held frame, and is not drawn; the others are drawn over the settled layers (see
/// [`render_into_cached`]).
pub struct Drawer {
    canvas: Pixmap,
    layers: Layers,
    /// The drawing state of the frame on the canvas.
    previous: Option<Vec<u32>>,
}

impl Drawer {
    pub fn new(graph: &SceneGraph) -> Drawer {
        Drawer {
            canvas: Pixmap::new(graph.width, graph.height).expect("size checked by the storyboard"),
            layers: Layers::default(),
            previous: None,
        }
    }

    /// Makes the canvas show frame `frame`. Returns the rows that may have changed, or None
    /// for a held frame (the canvas already shows it).
    pub fn draw(&mut self, graph: &SceneGraph, frame: u32) -> Option<Range<u32>> {
        let state = frame_state(graph, frame);
        if self.previous.as_ref() == Some(&state) {
            return None;
        }
        self.previous = Some(state);
        Some(render_into_cached(graph, frame, &mut self.canvas, &mut self.layers))
    }

    /// Forgets which frame the canvas shows: the next one is drawn, held or not.
    pub fn restart(&mut self) {
        self.previous = None;
    }

    pub fn canvas(&self) -> &Pixmap {
        &self.canvas
    }
}

/// What a video's renderer keeps from frame to frame: the layers of the scene on screen that
/// have settled (reached the state they keep to the scene's end), painted once over the
/// scene's background. A frame then starts from that picture and draws only the other layers.
///
/// A settled layer goes into the picture when no layer below it that is still drawn every
/// frame comes near it (see [`node_extent`]): drawing order matters only where layers
/// overlap, so frames are bit-identical to drawing every layer in order.
#[derive(Default)]
pub struct Layers {
    settled: Option<Settled>,
    /// Bumped whenever the settled picture is painted again from its background.
    generation: u64,
    /// When the canvas is the settled picture of `generation` with layers drawn over it in rows
    /// `.1` only: the next frame restores and redraws just those rows and its own.
    drawn_over: Option<(u64, Range<u32>)>,
    /// The incoming scene's layer during a transition.
    layer: Option<Pixmap>,
    /// The states the nodes of scene `.0` end it in (see [`node_state`]), worked out once.
    last: Option<(usize, Vec<Vec<u32>>)>,
    /// Frames that started from the settled picture, and how many layers they skipped.
    pub reused: u64,
    pub layers_skipped: u64,
}

struct Settled {
    scene: usize,
    /// How much of each of the scene's nodes is in `picture`.
    painted: Vec<Painted>,
    picture: Pixmap,
}

/// How much of a node is painted into the settled picture.
#[derive(Clone, PartialEq, Debug)]
enum Painted {
    /// Nothing: it is drawn every frame.
    No,
    /// All of it, in this state (its last).
    All(Vec<u32>),
    /// A chart in this final placement, still growing: its static parts and its first `bars`
    /// bars (grown, with their labels); the rest is drawn every frame.
    Chart { placement: Vec<u32>, bars: usize },
}

/// A rectangle of canvas pixels, `x0..x1` by `y0..y1`.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Extent {
    x0: u32,
    y0: u32,
    x1: u32,
    y1: u32,
}

impl Extent {
    fn meets(&self, o: &Extent) -> bool {
        self.x0 < o.x1 && o.x0 < self.x1 && self.y0 < o.y1 && o.y0 < self.y1
    }
}

/// Renders frame `frame` like [`render_into`], starting from the settled layers kept in
/// `layers` when they still apply (frames of the video in order make the most of it). During a
/// transition the outgoing scene (usually settled by then) is drawn that way too, and the
/// incoming one on a layer kept between frames.
///
/// Returns the rows of the canvas that may differ from what it held before: all of them, or,
/// when this frame and the one before were both drawn over the same settled picture, only the
/// rows their moving layers cover (their boxes, as placed and scaled, with a wide margin).
pub fn render_into_cached(
    graph: &SceneGraph,
    frame: u32,
    canvas: &mut Pixmap,
    layers: &mut Layers,
) -> Range<u32> {
    let all = 0..graph.height;
    let active: Vec<(usize, &Scene)> =
        graph.scenes.iter().enumerate().filter(|(_, s)| s.contains(frame)).collect();
    let settled_in = |s: &Scene| frame - s.start >= s.transition_frames;
    match active[..] {
        [(si, scene)] if settled_in(scene) => draw_over_settled(graph, si, scene, frame, canvas, layers),
        [(si, outgoing), (_, incoming)] if settled_in(outgoing) => {
            // A fade from an outgoing scene that draws nothing over its settled picture blends
            // straight from that picture, without copying it into the canvas first.
            let overlay = settle(graph, si, outgoing, frame, layers);
            let from_picture = incoming.transition == TransitionKind::Fade && overlay.rows.is_empty();
            if !from_picture {
                draw_overlay(graph, outgoing, canvas, layers, overlay);
            }
            layers.drawn_over = None;
            let local = frame - incoming.start;
            let layer = layers
                .layer
                .get_or_insert_with(|| Pixmap::new(graph.width, graph.height).expect("positive size"));
            incoming_layer(graph, incoming, true, layer);
            draw_scene(layer, incoming, graph.fps, local);
            let p = transition_progress(incoming, local);
            match (from_picture, &layers.settled) {
                (true, Some(settled)) => fade_opaque_from(canvas, &settled.picture, layer, p),
                _ => composite_transition(canvas, layer, true, incoming.transition, p),
            }
            all
        }
        // The first scene coming in over the background, or three scenes at once.
        _ => {
            layers.drawn_over = None;
            render_into(graph, frame, canvas);
            all
        }
    }
}

/// The pixels `node` may paint at `t`, as placed and scaled by its animation: a text's glyphs
/// (with their outline and shadow), an image's picture, a shape's box with its stroke, a QR
/// code's box, each with 2 pixels for anti-aliasing; a chart's or a progress bar's box with a
/// margin of a quarter of its size plus 16 pixels (labels and markers reach out of it). None
/// when it is not drawn at all.
fn node_extent(node: &Node, t: f32, width: u32, height: u32) -> Option<Extent> {
    let (_, tf) = placed(node, t)?;
    let b = node.bounds;
    // In the box's own coordinates (the transform only moves and scales), and the margin
    // around them in canvas pixels.
    let ((x0, y0, x1, y1), (mx, my)) = match &node.kind {
        NodeKind::Text(text) => (text_ink(text.at(t))?, (2.0, 2.0)),
        NodeKind::Image { pixels, offset } => (
            (offset.0, offset.1, offset.0 + pixels.width() as f32, offset.1 + pixels.height() as f32),
            (2.0, 2.0),
        ),
        NodeKind::Rect { stroke, .. } => {
            let sw = stroke.map_or(0.0, |(_, w)| w);
            ((-sw, -sw, b.w + sw, b.h + sw), (2.0, 2.0))
        }
        NodeKind::Qr(_) => ((0.0, 0.0, b.w, b.h), (2.0, 2.0)),
        NodeKind::Chart(_) | NodeKind::Progress(_) => {
            ((0.0, 0.0, b.w, b.h), (0.25 * tf.sx * b.w + 16.0, 0.25 * tf.sy * b.h + 16.0))
        }
    };
    let clamp = |v: f32, max: u32| (v.max(0.0) as u32).min(max);
    Some(Extent {
        x0: clamp((tf.tx + tf.sx * x0 - mx).floor(), width),
        y0: clamp((tf.ty + tf.sy * y0 - my).floor(), height),
        x1: clamp((tf.tx + tf.sx * x1 + mx).ceil(), width),
        y1: clamp((tf.ty + tf.sy * y1 + my).ceil(), height),
    })
}

/// Where a text's glyphs (with their outline and shadow) paint, relative to its origin:
/// (left, top, right, bottom); None without glyphs.
fn text_ink(block: &TextBlock) -> Option<(f32, f32, f32, f32)> {
    let pad = block.outline.map_or(0.0, |(_, w)| w);
    let (sx, sy) = block.shadow.map_or((0.0, 0.0), |(_, dx, dy)| (dx, dy));
    let mut ink: Option<(f32, f32, f32, f32)> = None;
    for g in &block.glyphs {
        let r = g.path.bounds();
        let (a, c) = (g.x + r.left() * g.scale - pad, g.x + r.right() * g.scale + pad);
        let (top, bottom) = (g.y - r.bottom() * g.scale - pad, g.y - r.top() * g.scale + pad);
        let (l, t, r, b) = ink.unwrap_or((a, top, c, bottom));
        ink = Some((
            l.min(a).min(a + sx),
            t.min(top).min(top + sy),
            r.max(c).max(c + sx),
            b.max(bottom).max(bottom + sy),
        ));
    }
    ink
}

/// The smallest range holding both (an empty one adds nothing).
fn union(a: Range<u32>, b: Range<u32>) -> Range<u32> {
    match (a.is_empty(), b.is_empty()) {
        (true, _) => b,
        (_, true) => a,
        _ => a.start.min(b.start)..a.end.max(b.end),
    }
}

/// Draws scene `si` alone at `frame` into `canvas` (overwriting it), from its settled layers,
/// and returns the rows that changed.
fn draw_over_settled(
    graph: &SceneGraph,
    si: usize,
    scene: &Scene,
    frame: u32,
    canvas: &mut Pixmap,
    layers: &mut Layers,
) -> Range<u32> {
    let overlay = settle(graph, si, scene, frame, layers);
    draw_overlay(graph, scene, canvas, layers, overlay)
}

/// What a frame draws over its scene's settled picture.
struct Overlay {
    /// The scene's time.
    t: f32,
    /// How much of each node is in the settled picture (the rest is drawn).
    plan: Vec<Painted>,
    /// The rows the drawn layers cover: empty when the frame is the settled picture.
    rows: Range<u32>,
    /// The rows of the settled picture painted for this frame.
    added: Range<u32>,
}

/// Brings the settled picture in `layers` up to scene `si` at `frame`: by painting what newly
/// settled over it, when that is the same as painting everything in order, else from the
/// background. Says what the frame draws over it.
fn settle(graph: &SceneGraph, si: usize, scene: &Scene, frame: u32, layers: &mut Layers) -> Overlay {
    let (w, h) = (graph.width, graph.height);
    let t = (frame - scene.start) as f32 / graph.fps as f32;
    let last = match &layers.last {
        Some((s, last)) if *s == si => last,
        _ => {
            let end = (scene.frames - 1) as f32 / graph.fps as f32;
            let last = scene.nodes.iter().map(|n| {
                let mut state = Vec::new();
                node_state(n, end, &mut state);
                state
            });
            &layers.last.insert((si, last.collect())).1
        }
    };
    let extents: Vec<Option<Extent>> = scene.nodes.iter().map(|n| node_extent(n, t, w, h)).collect();
    let plan = settle_plan(scene, t, last, &extents);
    let mut added = 0..0;
    let kept = layers.settled.as_mut().filter(|s| s.scene == si).and_then(|s| {
        let steps = additions(&s.painted, &plan, &extents)?;
        for (i, parts) in steps {
            draw_node_parts(&mut s.picture, &scene.nodes[i], t, parts);
            added = union(added.clone(), extents[i].map_or(0..0, |e| e.y0..e.y1));
        }
        s.painted = plan.clone();
        Some(())
    });
    if kept.is_none() {
        let mut picture = match layers.settled.take() {
            Some(old) => old.picture,
            None => Pixmap::new(w, h).expect("positive size"),
        };
        render_background(graph, scene, &mut picture);
        for (node, painted) in scene.nodes.iter().zip(&plan) {
            match painted {
                Painted::No => {}
                Painted::All(_) => draw_node(&mut picture, node, t),
                Painted::Chart { bars, .. } => draw_node_parts(&mut picture, node, t, Parts::settled(*bars)),
            }
        }
        layers.settled = Some(Settled { scene: si, painted: plan.clone(), picture });
        layers.generation += 1;
    }
    // Where this frame's other layers paint (a layer that paints has an extent).
    let rows = plan
        .iter()
        .zip(&extents)
        .filter(|(p, _)| !matches!(p, Painted::All(_)))
        .filter_map(|(_, e)| e.map(|e| e.y0..e.y1))
        .fold(0..0, union);
    layers.reused += 1;
    layers.layers_skipped += plan.iter().filter(|p| matches!(p, Painted::All(_))).count() as u64;
    Overlay { t, plan, rows, added }
}

/// Draws a frame into `canvas`: the settled picture, then the layers `overlay` says are drawn.
/// Returns the rows that changed. The canvas differs from the settled picture in the rows the
/// layers cover and, when it held the frame before drawn over the same picture, in the rows
/// that frame's layers covered: only those are restored.
fn draw_overlay(
    graph: &SceneGraph,
    scene: &Scene,
    canvas: &mut Pixmap,
    layers: &mut Layers,
    overlay: Overlay,
) -> Range<u32> {
    let Overlay { t, plan, rows, added } = overlay;
    let settled = layers.settled.as_ref().expect("settled before drawing over it");
    let changed = match layers.drawn_over.take() {
        Some((generation, before)) if generation == layers.generation => {
            let changed = union(union(before, rows.clone()), added);
            let row = graph.width as usize * 4;
            let span = changed.start as usize * row..changed.end as usize * row;
            canvas.data_mut()[span.clone()].copy_from_slice(&settled.picture.data()[span]);
            changed
        }
        _ => {
            canvas.data_mut().copy_from_slice(settled.picture.data());
            0..graph.height
        }
    };
    layers.drawn_over = Some((layers.generation, rows));
    for (node, painted) in scene.nodes.iter().zip(&plan) {
        match painted {
            Painted::No => draw_node(canvas, node, t),
            Painted::All(_) => {}
            Painted::Chart { bars, .. } => draw_node_parts(canvas, node, t, Parts::moving(*bars)),
        }
    }
    changed
}

/// Which of the scene's nodes can be in the settled picture at `t` (`last`: the states they
/// end the scene in), given where each paints now. A node can when it is in its last state and no node
/// below it that is drawn every frame comes near it; a chart in its final place can have its
/// static parts and its grown leading bars there (the rest of it is then drawn every frame).
fn settle_plan(scene: &Scene, t: f32, last: &[Vec<u32>], extents: &[Option<Extent>]) -> Vec<Painted> {
    let mut drawn: Vec<Extent> = Vec::new();
    let mut plan = Vec::with_capacity(scene.nodes.len());
    for ((node, extent), last) in scene.nodes.iter().zip(extents).zip(last) {
        let clear = extent.is_none_or(|e| drawn.iter().all(|d| !d.meets(&e)));
        let mut now = Vec::new();
        node_state(node, t, &mut now);
        let painted = match &node.kind {
            _ if !clear => Painted::No,
            _ if now == *last => Painted::All(now),
            NodeKind::Chart(chart) if now[..PLACEMENT] == last[..PLACEMENT] => {
                // Bars grow in order (each after the one before, or with it): the grown ones
                // lead (a chart's state lists its bars first). Slices are drawn before bars,
                // so bars can join the picture only without them.
                let grown = now[PLACEMENT..].iter().zip(&last[PLACEMENT..]).take(chart.bars.len());
                let bars = match chart.slices.is_empty() {
                    true => grown.take_while(|(a, b)| a == b).count(),
                    false => 0,
                };
                Painted::Chart { placement: now[..PLACEMENT].to_vec(), bars }
            }
            _ => Painted::No,
        };
        if !matches!(painted, Painted::All(_)) {
            drawn.extend(extent);
        }
        plan.push(painted);
    }
    plan
}

/// What to paint over a settled picture holding `before` to make it hold `after`, node by
/// node in drawing order; None when that would not be the same as painting `after` from the
/// background (something leaves the picture, or a node joins it under a painted node it comes
/// near).
fn additions(
    before: &[Painted],
    after: &[Painted],
    extents: &[Option<Extent>],
) -> Option<Vec<(usize, Parts)>> {
    let mut steps = Vec::new();
    for (i, (b, a)) in before.iter().zip(after).enumerate() {
        let parts = match (b, a) {
            _ if b == a => continue,
            (Painted::No, Painted::All(_)) => Parts::ALL,
            (Painted::No, Painted::Chart { bars, .. }) => Parts::settled(*bars),
            (Painted::Chart { placement: p, bars: from }, Painted::Chart { placement: q, bars: to })
                if p == q && to >= from =>
            {
                Parts { statics: false, bars: *from..*to, rest: false }
            }
            (Painted::Chart { placement: p, bars: from }, Painted::All(state))
                if state[..PLACEMENT] == p[..] =>
            {
                Parts::moving(*from)
            }
            _ => return None,
        };
        // Painted after the nodes above it: only where none of them is.
        let above = after[i + 1..].iter().zip(&extents[i + 1..]).filter(|(p, _)| **p != Painted::No);
        if let Some(e) = extents[i] {
            if above.filter_map(|(_, x)| x.as_ref()).any(|x| x.meets(&e)) {
                return None;
            }
        }
        steps.push((i, parts));
    }
    Some(steps)
}

/// What an incoming scene is drawn on during its transition: its own background, else the
/// video's (over another scene) or nothing (the first scene, over the video background).
fn incoming_layer(graph: &SceneGraph, scene: &Scene, over_a_scene: bool, layer: &mut Pixmap) {
    let start = match &scene.background {
        Some(bg) => painted(&scene.layer_backdrop, graph, |p| fill_rect_paint(p, full_rect(graph), bg, 1.0)),
        None if over_a_scene => video_backdrop(graph),
        None => return layer.fill(Color::TRANSPARENT),
    };
    layer.data_mut().copy_from_slice(start.data());
}

/// `layer` over `canvas` at opacity `p` (premultiplied source-over), in integers: a full-frame
/// crossfade costs a fraction of tiny-skia's general pixmap pipeline.
fn fade_over(canvas: &mut Pixmap, layer: &Pixmap, opaque: bool, p: f32) {
    let a = fade_weight(p);
    if opaque {
        // Every byte blends with the same weights (the general formula with alpha 255), in
        // 16-bit lanes the compiler vectorises.
        for (d, s) in canvas.data_mut().iter_mut().zip(layer.data()) {
            *d = blend_byte(*s, *d, a);
        }
        return;
    }
    for (d, s) in canvas.data_mut().chunks_exact_mut(4).zip(layer.data().chunks_exact(4)) {
        let keep = 255 - div255(s[3] as u16 * a + 127) as u16;
        for c in 0..4 {
            d[c] = div255(s[c] as u16 * a + d[c] as u16 * keep + 127);
        }
    }
}

/// [`fade_over`] of an opaque `layer` over `under`, into `canvas`: the same bytes as copying
/// `under` into `canvas` and fading there, in one pass.
fn fade_opaque_from(canvas: &mut Pixmap, under: &Pixmap, layer: &Pixmap, p: f32) {
    let a = fade_weight(p);
    for ((d, u), s) in canvas.data_mut().iter_mut().zip(under.data()).zip(layer.data()) {
        *d = blend_byte(*s, *u, a);
    }
}

/// A fade's progress `p` as the incoming layer's weight, 0..=255.
fn fade_weight(p: f32) -> u16 {
    (p.clamp(0.0, 1.0) * 255.0 + 0.5) as u16
}

/// Byte `s` over byte `d` with weight `a` of 255 (and `255 - a` for `d`), rounded.
#[inline(always)]
fn blend_byte(s: u8, d: u8, a: u16) -> u8 {
    div255(s as u16 * a + d as u16 * (255 - a) + 127)
}

/// `x / 255` rounded down, for `x` up to 255 * 256 - 1 (a blend of two bytes with weights
/// summing to 255, plus rounding, is at most 65152), without a division.
fn div255(x: u16) -> u8 {
    ((x as u32 + 1 + (x as u32 >> 8)) >> 8) as u8
}

/// Copies `layer` onto `canvas` shifted right and down by (dx, dy), where they overlap.
fn copy_shifted(canvas: &mut Pixmap, layer: &Pixmap, dx: i32, dy: i32) {
    let (w, h) = (canvas.width() as i32, canvas.height() as i32);
    if dx >= w {
        return;
    }
    let row = (w * 4) as usize;
    let span = ((w - dx) * 4) as usize;
    for y in dy..h {
        let src = &layer.data()[(y - dy) as usize * row..][..span];
        canvas.data_mut()[y as usize * row + dx as usize * 4..][..span].copy_from_slice(src);
    }
}

/// Puts the incoming scene's layer over the canvas, `p` (0..1) of the way through.
/// `opaque`: every pixel of the layer is opaque (it has a background), which allows plain
/// copies and a per-byte blend.
fn composite_transition(canvas: &mut Pixmap, layer: &Pixmap, opaque: bool, kind: TransitionKind, p: f32) {
    use crate::style::Side;
    let (w, h) = (canvas.width() as f32, canvas.height() as f32);
    match kind {
        TransitionKind::Fade => fade_over(canvas, layer, opaque, p),
        TransitionKind::Slide(from) => {
            // Eased so the scene decelerates into place; whole pixels keep it sharp.
            let rest = 1.0 - Easing::EaseOut.apply(p);
            let (dx, dy) = match from {
                Side::Left => (-w * rest, 0.0),
                Side::Right => (w * rest, 0.0),
                Side::Top => (0.0, -h * rest),
                Side::Bottom => (0.0, h * rest),
            };
            let (dx, dy) = (dx.round() as i32, dy.round() as i32);
            if opaque && dx >= 0 && dy >= 0 {
                // An opaque layer over the canvas is a copy of the rows that overlap. (With a
                // negative offset tiny-skia also paints the column or row just past the layer's
                // edge, so that case stays with it, to keep frames as they were.)
                copy_shifted(canvas, layer, dx, dy);
            } else {
                let paint = PixmapPaint::default();
                canvas.draw_pixmap(dx, dy, layer.as_ref(), &paint, Transform::identity(), None);
            }
        }
        TransitionKind::Wipe(from) => {
            let e = Easing::EaseInOut.apply(p);
            let r = match from {
                Side::Left => SkRect::from_xywh(0.0, 0.0, w * e, h),
                Side::Right => SkRect::from_xywh(w * (1.0 - e), 0.0, w * e, h),
                Side::Top => SkRect::from_xywh(0.0, 0.0, w, h * e),
                Side::Bottom => SkRect::from_xywh(0.0, h * (1.0 - e), w, h * e),
            };
            let Some(r) = r else { return };
            if opaque {
                return wipe_opaque(canvas, layer, r, matches!(from, Side::Left | Side::Right));
            }
            let Some(mut mask) = tiny_skia::Mask::new(canvas.width(), canvas.height()) else { return };
            mask.fill_path(&PathBuilder::from_rect(r), FillRule::Winding, true, Transform::identity());
            canvas.draw_pixmap(
                0,
                0,
                layer.as_ref(),
                &PixmapPaint::default(),
                Transform::identity(),
                Some(&mask),
            );
        }
    }
}

/// An opaque layer wiped in over the canvas within `r`, which spans the whole height
/// (`across`: the wipe moves across) or the whole width. Drawing the layer through a
/// full-canvas mask runs tiny-skia's pipeline on every pixel; here the covered columns (or
/// rows) are plain copies and only the anti-aliased edge goes through tiny-skia, on a strip
/// one pixel wide with the same mask values, so the pixels are the same.
fn wipe_opaque(canvas: &mut Pixmap, layer: &Pixmap, r: SkRect, across: bool) {
    let (w, h) = (canvas.width(), canvas.height());
    // The mask's coverage along the wipe: one row (or column) of the full mask.
    // (Three pixels deep, read in the middle: the same values as inside the full mask.)
    let (len, strip, mask) = if across {
        (w, SkRect::from_xywh(r.x(), -1.0, r.width(), 5.0), tiny_skia::Mask::new(w, 3))
    } else {
        (h, SkRect::from_xywh(-1.0, r.y(), 5.0, r.height()), tiny_skia::Mask::new(3, h))
    };
    let (Some(strip), Some(mut mask)) = (strip, mask) else { return };
    mask.fill_path(&PathBuilder::from_rect(strip), FillRule::Winding, true, Transform::identity());
    let coverage: Vec<u8> = match across {
        true => mask.data()[w as usize..2 * w as usize].to_vec(),
        false => mask.data().chunks_exact(3).map(|c| c[1]).collect(),
    };
    let row = w as usize * 4;
    // Whole coverage (one run): copy.
    let first = coverage.iter().position(|&c| c == 255);
    let last = coverage.iter().rposition(|&c| c == 255);
    if let (Some(a), Some(b)) = (first, last) {
        if across {
            for y in 0..h as usize {
                let span = y * row + a * 4..y * row + (b + 1) * 4;
                canvas.data_mut()[span.clone()].copy_from_slice(&layer.data()[span]);
            }
        } else {
            let span = a * row..(b + 1) * row;
            canvas.data_mut()[span.clone()].copy_from_slice(&layer.data()[span]);
        }
    }
    // Partial coverage (the edge): through tiny-skia, a strip at a time.
    for i in (0..len as usize).filter(|&i| coverage[i] != 0 && coverage[i] != 255) {
        let (sw, sh) = if across { (1, h) } else { (w, 1) };
        let pixels = |pix: &Pixmap| -> Vec<u8> {
            if across {
                (0..h as usize).flat_map(|y| pix.data()[y * row + i * 4..][..4].to_vec()).collect()
            } else {
                pix.data()[i * row..(i + 1) * row].to_vec()
            }
        };
        let (Some(mut dst), Some(src), Some(mut mask)) = (
            Pixmap::from_vec(pixels(canvas), tiny_skia::IntSize::from_wh(sw, sh).expect("positive")),
            Pixmap::from_vec(pixels(layer), tiny_skia::IntSize::from_wh(sw, sh).expect("positive")),
            tiny_skia::Mask::new(sw, sh),
        ) else {
            continue;
        };
        mask.data_mut().fill(coverage[i]);
        dst.draw_pixmap(0, 0, src.as_ref(), &PixmapPaint::default(), Transform::identity(), Some(&mask));
        if across {
            for (y, px) in dst.data().chunks_exact(4).enumerate() {
                canvas.data_mut()[y * row + i * 4..][..4].copy_from_slice(px);
            }
        } else {
            canvas.data_mut()[i * row..(i + 1) * row].copy_from_slice(dst.data());
        }
    }
}

/// Draws a scene's nodes (its background is the caller's: see [`render_into`]).
fn draw_scene(canvas: &mut Pixmap, scene: &Scene, fps: u32, local: u32) {
    let t = local as f32 / fps as f32;
    for node in &scene.nodes {
        draw_node(canvas, node, t);
    }
}

fn draw_node(canvas: &mut Pixmap, node: &Node, t: f32) {
    draw_node_parts(canvas, node, t, Parts::ALL)
}

/// Which parts of a node to draw. A chart's static parts (grid, labels, legend: what does not
/// grow or count) and its grown leading bars can be painted with the settled layers, and the
/// rest each frame. Other nodes are drawn whole.
#[derive(Clone, PartialEq, Debug)]
struct Parts {
    statics: bool,
    /// Which bars (each with its value label).
    bars: Range<usize>,
    /// Slices, lines and counters.
    rest: bool,
}

impl Parts {
    const ALL: Parts = Parts { statics: true, bars: 0..usize::MAX, rest: true };

    /// What goes into the settled picture: the static parts and the first `bars` bars.
    fn settled(bars: usize) -> Parts {
        Parts { statics: true, bars: 0..bars, rest: false }
    }

    /// What is drawn each frame over that.
    fn moving(bars: usize) -> Parts {
        Parts { statics: false, bars: bars..usize::MAX, rest: true }
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

fn draw_node_parts(canvas: &mut Pixmap, node: &Node, t: f32, parts: Parts) {
    let Some((opacity, tf)) = placed(node, t) else {
        return;
    };
    let b = node.bounds;
    match &node.kind {
        NodeKind::Rect { fill, radius, stroke } => {
            let Some(path) = rounded_rect(0.0, 0.0, b.w, b.h, *radius) else {
                return;
            };
            if let Some(p) = fill {
                let mut paint = sk_paint(p, Rect { x: 0.0, y: 0.0, w: b.w, h: b.h }, opacity);
                paint.anti_alias = true;
                canvas.fill_path(&path, &paint, FillRule::Winding, tf, None);
            }
            if let Some((color, width)) = stroke {
                let paint = solid(*color, opacity);
                canvas.stroke_path(&path, &paint, &Stroke { width: *width, ..Default::default() }, tf, None);
            }
        }
        NodeKind::Text(text) if opacity < 1.0 && !tf.has_scale() && !tf.has_skew() => {
            fade_text(canvas, text.at(t), (b.x, b.y), tf, opacity)
        }
        NodeKind::Text(text) => draw_text(canvas, text.at(t), 0.0, 0.0, opacity, tf),
        NodeKind::Image { pixels, offset } => {
            // Near its size (a zoom or a pulse) bilinear filtering looks the same as bicubic
            // at half the cost; further from it, bicubic keeps it from aliasing or blurring.
            let near = tf.has_scale() && (0.75..=1.5).contains(&tf.sx);
            let quality =
                if near { tiny_skia::FilterQuality::Bilinear } else { tiny_skia::FilterQuality::Bicubic };
            let paint = PixmapPaint { opacity, quality, ..Default::default() };
            let tf = tf.pre_translate(offset.0, offset.1);
            if on_whole_pixels(tf) {
                // The image was resized for its box: an untransformed blit keeps it crisp.
                canvas.draw_pixmap(
                    tf.tx as i32,
                    tf.ty as i32,
                    pixels.as_ref().as_ref(),
                    &PixmapPaint { quality: tiny_skia::FilterQuality::Nearest, ..paint },
                    Transform::identity(),
                    None,
                );
            } else {
                canvas.draw_pixmap(0, 0, pixels.as_ref().as_ref(), &paint, tf, None);
            }
        }
        NodeKind::Chart(chart) => draw_chart(canvas, chart, t, opacity, tf, parts),
        NodeKind::Qr(qr) => draw_qr(canvas, qr, b, opacity, tf),
        NodeKind::Progress(p) => {
            if let Some(track) = rounded_rect(0.0, 0.0, b.w, b.h, p.radius) {
                canvas.fill_path(&track, &solid(p.track, opacity), FillRule::Winding, tf, None);
            }
            let filled = b.w * p.shown(t);
            // Keep the fill's rounded end inside the track even when it is shorter than a radius.
            if let Some(bar) = rounded_rect(0.0, 0.0, filled.max(0.0), b.h, p.radius.min(filled / 2.0)) {
                canvas.fill_path(&bar, &solid(p.color, opacity), FillRule::Winding, tf, None);
            }
            if let Some((at, color)) = p.marker {
                let w = (b.h * 0.12).max(2.0);
                if let Some(r) = SkRect::from_xywh(b.w * at - w / 2.0, -b.h * 0.25, w, b.h * 1.5) {
                    canvas.fill_rect(r, &solid(color, opacity), tf, None);
                }
            }
        }
    }
}

/// The light square, then every dark module, as one path. Edges are not anti-aliased when the
/// code sits on whole pixels, so modules stay sharp for scanners (and for the video encoder).
fn draw_qr(canvas: &mut Pixmap, qr: &crate::scene::Qr, b: Rect, opacity: f32, tf: Transform) {
    let crisp = on_whole_pixels(tf);
    if let Some(r) = SkRect::from_xywh(0.0, 0.0, b.w, b.h) {
        let mut p = solid(qr.background, opacity);
        p.anti_alias = !crisp;
        canvas.fill_rect(r, &p, tf, None);
    }
    let mut pb = PathBuilder::new();
    for (i, _) in qr.dark.iter().enumerate().filter(|(_, d)| **d) {
        let (row, col) = (i / qr.size, i % qr.size);
        let (x, y) = (qr.origin.0 + col as f32 * qr.module, qr.origin.1 + row as f32 * qr.module);
        if let Some(r) = SkRect::from_xywh(x, y, qr.module, qr.module) {
            pb.push_rect(r);
        }
    }
    if let Some(path) = pb.finish() {
        let mut p = solid(qr.color, opacity);
        p.anti_alias = !crisp;
        canvas.fill_path(&path, &p, FillRule::Winding, tf, None);
    }
}

/// A text fading in or out, resting at `rest` (its box's top-left corner): drawn once at full
/// opacity at the sub-pixel phase of its resting place (a sprite, kept with the text), then put
/// down each frame with the opacity, at whole-pixel steps from its resting place. Drawing every
/// glyph's outline at every step of a fade costs several times as much, and a text moving
/// while it fades reads as well at whole pixels (scene slides move that way too).
fn fade_text(canvas: &mut Pixmap, block: &TextBlock, rest: (f32, f32), tf: Transform, opacity: f32) {
    let phase = (rest.0 - rest.0.floor(), rest.1 - rest.1.floor());
    let make = || {
        let Some((l, t, r, b)) = text_ink(block) else {
            return Sprite { phase, origin: (0, 0), pixmap: None };
        };
        let origin = ((phase.0 + l).floor() as i32 - 1, (phase.1 + t).floor() as i32 - 1);
        let size = ((phase.0 + r).ceil() as i32 + 1 - origin.0, (phase.1 + b).ceil() as i32 + 1 - origin.1);
        let pixmap = Pixmap::new(size.0.max(1) as u32, size.1.max(1) as u32).map(|mut p| {
            let at = Transform::from_translate(phase.0 - origin.0 as f32, phase.1 - origin.1 as f32);
            draw_text(&mut p, block, 0.0, 0.0, 1.0, at);
            p
        });
        Sprite { phase, origin, pixmap }
    };
    // Kept for the phase it was first made at (a text has one resting place).
    let made;
    let sprite = match block.sprite.0.get_or_init(make) {
        s if s.phase == phase => s,
        _ => {
            made = make();
            &made
        }
    };
    let Some(pixmap) = &sprite.pixmap else { return };
    let x = rest.0.floor() as i32 + (tf.tx - rest.0).round() as i32 + sprite.origin.0;
    let y = rest.1.floor() as i32 + (tf.ty - rest.1).round() as i32 + sprite.origin.1;
    let paint = PixmapPaint { opacity, quality: tiny_skia::FilterQuality::Nearest, ..Default::default() };
    canvas.draw_pixmap(x, y, pixmap.as_ref(), &paint, Transform::identity(), None);
}

fn draw_text(canvas: &mut Pixmap, block: &TextBlock, x: f32, y: f32, opacity: f32, tf: Transform) {
    if let Some((color, dx, dy)) = block.shadow {
        let paint = solid(color, opacity);
        for g in &block.glyphs {
            let gt = tf.pre_translate(x + g.x + dx, y + g.y + dy).pre_scale(g.scale, -g.scale);
            canvas.fill_path(&g.path, &paint, FillRule::Winding, gt, None);
        }
    }
    if let Some((color, width)) = block.outline {
        let paint = solid(color, opacity);
        for g in &block.glyphs {
            let gt = tf.pre_translate(x + g.x, y + g.y).pre_scale(g.scale, -g.scale);
            // The stroke is centred on the outline and half of it is covered by the fill, so
            // stroke twice the width; paths are in font units, hence the division by the scale.
            let stroke = Stroke {
                width: 2.0 * width / g.scale,
                line_join: tiny_skia::LineJoin::Round,
                ..Default::default()
            };
            canvas.stroke_path(&g.path, &paint, &stroke, gt, None);
        }
    }
    let paint = solid(block.color, opacity);
    for g in &block.glyphs {
        // Outlines are in font units with y up: flip and scale onto the baseline point.
        let gt = tf.pre_translate(x + g.x, y + g.y).pre_scale(g.scale, -g.scale);
        match g.color {
            Some(c) => canvas.fill_path(&g.path, &solid(c, opacity), FillRule::Winding, gt, None),
            None => canvas.fill_path(&g.path, &paint, FillRule::Winding, gt, None),
        }
    }
}

/// A chart: first its static parts (grid, arrow, legend, labels), which never overlap the
/// moving ones, then what grows or counts (slices, bars with their value labels, lines,
/// counters).
fn draw_chart(canvas: &mut Pixmap, chart: &Chart, t: f32, opacity: f32, tf: Transform, parts: Parts) {
    if parts.statics {
        for (r, color) in &chart.rules {
            if let Some(r) = SkRect::from_xywh(r.x, r.y, r.w.max(1.0), r.h.max(1.0)) {
                canvas.fill_rect(r, &solid(*color, opacity), tf, None);
            }
        }
        for (points, color) in &chart.shapes {
            if let Some(path) = polygon(points) {
                canvas.fill_path(&path, &solid(*color, opacity), FillRule::Winding, tf, None);
            }
        }
        for (rect, color) in &chart.swatches {
            if let Some(path) = rounded_rect(rect.x, rect.y, rect.w, rect.h, rect.w * 0.2) {
                canvas.fill_path(&path, &solid(*color, opacity), FillRule::Winding, tf, None);
            }
        }
        for (x, y, block) in &chart.labels {
            draw_text(canvas, block, *x, *y, opacity, tf);
        }
    }
    for slice in chart.slices.iter().filter(|_| parts.rest) {
        let sweep = slice.shown(t);
        if sweep > 0.0 {
            if let Some(path) = polygon(&slice.polygon(sweep)) {
                canvas.fill_path(&path, &solid(slice.color, opacity), FillRule::Winding, tf, None);
            }
        }
    }
    let bars = parts.bars.start.min(chart.bars.len())..parts.bars.end.min(chart.bars.len());
    for bar in &chart.bars[bars] {
        let p = bar.progress(t);
        let h = bar.h * p;
        if h >= 0.5 {
            let radius = bar.radius.min(h / 2.0);
            // The rounded end is the one away from the zero line.
            let path = if bar.down {
                top_rounded_rect(bar.x, -(bar.base + h), bar.w, h, radius)
                    .and_then(|p| p.transform(Transform::from_scale(1.0, -1.0)))
            } else {
                top_rounded_rect(bar.x, bar.base - h, bar.w, h, radius)
            };
            if let Some(path) = path {
                canvas.fill_path(&path, &solid(bar.color, opacity), FillRule::Winding, tf, None);
            }
        }
        if let Some(label) = &bar.value_label {
            if p > 0.0 {
                let lx = bar.x + (bar.w - label.width) / 2.0;
                let ly = if bar.down { bar.base + h + 4.0 } else { bar.base - h - label.height - 4.0 };
                draw_text(canvas, label, lx, ly, opacity * p, tf);
            }
        }
    }
    if !parts.rest {
        return;
    }
    for line in &chart.lines {
        draw_line(canvas, line, t, opacity, tf);
    }
    for (x, y, w, align, node) in &chart.counters {
        let block = node.at(t);
        draw_text(canvas, block, x + align_in(*w, block.width, *align), *y, opacity, tf);
    }
}

/// A line drawn on so far, the wash under it, and its highlighted point once reached.
fn draw_line(canvas: &mut Pixmap, line: &crate::scene::chart::Line, t: f32, opacity: f32, tf: Transform) {
    let p = line.progress(t);
    let pts = line.visible(p);
    if let (Some((floor, wash)), Some(first), Some(last)) = (line.area, pts.first(), pts.last()) {
        let mut poly = pts.clone();
        poly.push((last.0, floor));
        poly.push((first.0, floor));
        if let Some(path) = polygon(&poly) {
            canvas.fill_path(&path, &solid(wash, opacity), FillRule::Winding, tf, None);
        }
    }
    if pts.len() >= 2 {
        let mut pb = PathBuilder::new();
        pb.move_to(pts[0].0, pts[0].1);
        for q in &pts[1..] {
            pb.line_to(q.0, q.1);
        }
        if let Some(path) = pb.finish() {
            let stroke = Stroke {
                width: line.width,
                line_join: tiny_skia::LineJoin::Round,
                line_cap: tiny_skia::LineCap::Round,
                ..Default::default()
            };
            canvas.stroke_path(&path, &solid(line.color, opacity), &stroke, tf, None);
        }
    }
    if let Some((i, label)) = &line.highlight {
        if line.reached(*i, p) {
            let (x, y) = line.points[*i];
            let r = line.width * 2.2;
            // A ring in the line's colour around a dot of the label colour stands out on any
            // background.
            if let Some(c) = PathBuilder::from_circle(x, y, r + line.width) {
                canvas.fill_path(&c, &solid(line.color, opacity), FillRule::Winding, tf, None);
            }
            if let (Some(c), Some(l)) = (PathBuilder::from_circle(x, y, r), label) {
                canvas.fill_path(&c, &solid(l.color, opacity), FillRule::Winding, tf, None);
            }
            if let Some(l) = label {
                draw_text(canvas, l, x - l.width / 2.0, y - r - line.width - l.height - 4.0, opacity, tf);
            }
        }
    }
}

fn polygon(points: &[(f32, f32)]) -> Option<tiny_skia::Path> {
    let mut pb = PathBuilder::new();
    let (first, rest) = points.split_first()?;
    pb.move_to(first.0, first.1);
    for p in rest {
        pb.line_to(p.0, p.1);
    }
    pb.close();
    pb.finish()
}

/// A plain move by whole pixels: what is drawn lands on the pixel grid exactly.
fn on_whole_pixels(tf: Transform) -> bool {
    tf.is_translate() && tf.tx.fract() == 0.0 && tf.ty.fract() == 0.0
}

fn solid(c: Rgba, opacity: f32) -> SkPaint<'static> {
    let mut p = SkPaint::default();
    p.set_color(Color::from_rgba8(c.r, c.g, c.b, (c.a as f32 * opacity).round() as u8));
    p.anti_alias = true;
    p
}

fn sk_paint(p: &Paint, area: Rect, opacity: f32) -> SkPaint<'static> {
    match p {
        Paint::Solid(c) => solid(*c, opacity),
        Paint::Linear { angle, stops } => {
            let (start, end) = gradient_line(*angle, area);
            let n = stops.len().max(2) - 1;
            let gs: Vec<GradientStop> = stops
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    GradientStop::new(
                        i as f32 / n as f32,
                        Color::from_rgba8(c.r, c.g, c.b, (c.a as f32 * opacity).round() as u8),
                    )
                })
                .collect();
            let shader = LinearGradient::new(start, end, gs, SpreadMode::Pad, Transform::identity())
                .unwrap_or_else(|| {
                    Shader::SolidColor(Color::from_rgba8(stops[0].r, stops[0].g, stops[0].b, stops[0].a))
                });
            SkPaint { shader, anti_alias: true, ..Default::default() }
        }
    }
}

/// The CSS gradient line for `angle` over a box: through its centre, long enough that the
/// corners get the first and last colours.
fn gradient_line(angle: f32, r: Rect) -> (Point, Point) {
    let rad = angle.to_radians();
    let (dx, dy) = (rad.sin(), -rad.cos());
    let half = (r.w * dx.abs() + r.h * dy.abs()) / 2.0;
    let (cx, cy) = (r.x + r.w / 2.0, r.y + r.h / 2.0);
    (Point::from_xy(cx - dx * half, cy - dy * half), Point::from_xy(cx + dx * half, cy + dy * half))
}

fn fill_rect_paint(canvas: &mut Pixmap, r: SkRect, p: &Paint, opacity: f32) {
    let area = Rect { x: r.x(), y: r.y(), w: r.width(), h: r.height() };
    canvas.fill_rect(r, &sk_paint(p, area, opacity), Transform::identity(), None);
}

fn rounded_rect(x: f32, y: f32, w: f32, h: f32, r: f32) -> Option<tiny_skia::Path> {
    if w <= 0.0 || h <= 0.0 {
        return None;
    }
    let r = r.clamp(0.0, w.min(h) / 2.0);
    if r == 0.0 {
        return Some(PathBuilder::from_rect(SkRect::from_xywh(x, y, w, h)?));
    }
    // Cubic arcs with the usual circle constant.
    let k = 0.552_284_8 * r;
    let mut pb = PathBuilder::new();
    pb.move_to(x + r, y);
    pb.line_to(x + w - r, y);
    pb.cubic_to(x + w - r + k, y, x + w, y + r - k, x + w, y + r);
    pb.line_to(x + w, y + h - r);
    pb.cubic_to(x + w, y + h - r + k, x + w - r + k, y + h, x + w - r, y + h);
    pb.line_to(x + r, y + h);
    pb.cubic_to(x + r - k, y + h, x, y + h - r + k, x, y + h - r);
    pb.line_to(x, y + r);
    pb.cubic_to(x, y + r - k, x + r - k, y, x + r, y);
    pb.close();
    pb.finish()
}

/// A bar: rounded at the top, square on the baseline.
fn top_rounded_rect(x: f32, y: f32, w: f32, h: f32, r: f32) -> Option<tiny_skia::Path> {
    if w <= 0.0 || h <= 0.0 {
        return None;
    }
    let r = r.clamp(0.0, w.min(h) / 2.0);
    let k = 0.552_284_8 * r;
    let mut pb = PathBuilder::new();
    pb.move_to(x, y + h);
    pb.line_to(x, y + r);
    pb.cubic_to(x, y + r - k, x + r - k, y, x + r, y);
    pb.line_to(x + w - r, y);
    pb.cubic_to(x + w - r + k, y, x + w, y + r - k, x + w, y + r);
    pb.line_to(x + w, y + h);
    pb.close();
    pb.finish()
}

/// Converts a rendered frame to straight-alpha RGBA (for PNG files).
pub fn to_rgba_image(pix: &Pixmap) -> image::RgbaImage {
    let mut img = image::RgbaImage::new(pix.width(), pix.height());
    for (dst, src) in img.pixels_mut().zip(pix.pixels()) {
        let c = src.demultiply();
        *dst = image::Rgba([c.red(), c.green(), c.blue(), c.alpha()]);
    }
    img
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn division_by_255_without_dividing_is_exact() {
        // Up to the largest value whose quotient fits a byte (blends stay below 65153).
        for x in 0..=(255 * 256 - 1) as u16 {
            assert_eq!(div255(x) as u16, x / 255, "{x}");
        }
    }

    fn test_pixmaps() -> (Pixmap, Pixmap) {
        patterned(64, 48)
    }

    /// Two opaque pixmaps of different patterns.
    fn patterned(w: u32, h: u32) -> (Pixmap, Pixmap) {
        let (mut a, mut b) = (Pixmap::new(w, h).unwrap(), Pixmap::new(w, h).unwrap());
        for (i, (p, q)) in a.data_mut().chunks_exact_mut(4).zip(b.data_mut().chunks_exact_mut(4)).enumerate()
        {
            p.copy_from_slice(&[(i * 7) as u8, (i * 13) as u8, (i * 3) as u8, 255]);
            q.copy_from_slice(&[(i * 5) as u8, (i * 11) as u8, (i * 17) as u8, 255]);
        }
        (a, b)
    }

    #[test]
    fn the_opaque_crossfade_equals_the_general_one_and_tiny_skia_within_one() {
        let (canvas, layer) = test_pixmaps();
        for p in [0.0, 0.1, 0.5, 0.77, 1.0] {
            let (mut fast, mut general, mut skia) = (canvas.clone(), canvas.clone(), canvas.clone());
            fade_over(&mut fast, &layer, true, p);
            fade_over(&mut general, &layer, false, p);
            assert!(fast.data() == general.data(), "p {p}");
            // Straight from the picture under it, into a canvas holding something else.
            let mut from = layer.clone();
            fade_opaque_from(&mut from, &canvas, &layer, p);
            assert!(from.data() == fast.data(), "p {p}: fading from the picture under it");
            let paint = PixmapPaint { opacity: p, ..Default::default() };
            skia.draw_pixmap(0, 0, layer.as_ref(), &paint, Transform::identity(), None);
            let worst = fast.data().iter().zip(skia.data()).map(|(a, b)| a.abs_diff(*b)).max().unwrap();
            assert!(worst <= 1, "p {p}: off by {worst} from tiny-skia");
        }
    }

    #[test]
    fn an_opaque_wipe_equals_drawing_through_a_full_mask() {
        let (small, small_layer) = test_pixmaps();
        let (big, big_layer) = patterned(1280, 720);
        for (canvas, layer, steps) in [(small, small_layer, 40), (big, big_layer, 7)] {
            let (w, h) = (canvas.width() as f32, canvas.height() as f32);
            for k in 0..=steps {
                let e = k as f32 / steps as f32 + 0.0137;
                let rects = [
                    (SkRect::from_xywh(0.0, 0.0, w * e, h), true),
                    (SkRect::from_xywh(w * (1.0 - e), 0.0, w * e, h), true),
                    (SkRect::from_xywh(0.0, 0.0, w, h * e), false),
                    (SkRect::from_xywh(0.0, h * (1.0 - e), w, h * e), false),
                ];
                for (r, across) in rects {
                    let Some(r) = r else { continue };
                    let (mut fast, mut skia) = (canvas.clone(), canvas.clone());
                    wipe_opaque(&mut fast, &layer, r, across);
                    let mut mask = tiny_skia::Mask::new(canvas.width(), canvas.height()).unwrap();
                    mask.fill_path(
                        &PathBuilder::from_rect(r),
                        FillRule::Winding,
                        true,
                        Transform::identity(),
                    );
                    skia.draw_pixmap(
                        0,
                        0,
                        layer.as_ref(),
                        &PixmapPaint::default(),
                        Transform::identity(),
                        Some(&mask),
                    );
                    let first = fast.data().iter().zip(skia.data()).position(|(a, b)| a != b);
                    assert!(first.is_none(), "wipe {r:?}: first difference at byte {first:?}");
                }
            }
        }
    }

    /// A text laid out with the shipped body font.
    fn sample_text() -> TextBlock {
        use crate::scene::text::{layout, Font, FontChain, TextStyle};
        use crate::style::Align;
        let bytes =
            std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/fonts/Inter-Regular.otf")).unwrap();
        let font = Font::from_bytes("body", bytes).unwrap();
        let style = TextStyle::simple(30.0, Rgba::rgb(250, 240, 120), Align::Left, Some(300.0));
        layout(FontChain { primary: &font, fallbacks: &[] }, "Fading in, Ågé 42", style)
    }

    /// How many pixels of `a` and `b` differ by more than 2 in a colour, and how many pixels
    /// `b` inked (changed from `under`).
    fn compare(a: &Pixmap, b: &Pixmap, under: &Pixmap) -> (usize, usize) {
        let px = |p: &Pixmap| p.data().chunks_exact(4).map(|c| [c[0], c[1], c[2]]).collect::<Vec<_>>();
        let (a, b, under) = (px(a), px(b), px(under));
        let off =
            a.iter().zip(&b).filter(|(p, q)| p.iter().zip(q.iter()).any(|(x, y)| x.abs_diff(*y) > 2)).count();
        (off, b.iter().zip(&under).filter(|(p, q)| p != q).count())
    }

    #[test]
    fn a_fading_text_from_its_sprite_matches_its_glyphs_drawn_at_that_opacity() {
        let block = sample_text();
        let (canvas, _) = patterned(360, 90);
        // Resting at a fractional place; sampled at rest and at whole and fractional offsets.
        let rest = (12.3f32, 20.6f32);
        for (dx, dy, opacity) in
            [(0.0, 0.0, 0.5), (0.0, 0.0, 0.9), (-7.0, 0.0, 0.3), (0.0, 11.0, 0.75), (3.4, -2.6, 0.6)]
        {
            let tf = Transform::from_translate(rest.0 + dx, rest.1 + dy);
            let mut sprite = canvas.clone();
            fade_text(&mut sprite, &block, rest, tf, opacity);
            // The same text drawn glyph by glyph, where the sprite puts it (whole-pixel steps).
            let at = Transform::from_translate(rest.0 + dx.round(), rest.1 + dy.round());
            let mut glyphs = canvas.clone();
            draw_text(&mut glyphs, &block, 0.0, 0.0, opacity, at);
            let (off, inked) = compare(&sprite, &glyphs, &canvas);
            assert!(inked > 1000, "({dx}, {dy}): only {inked} pixels inked");
            assert!(
                off * 50 < inked,
                "({dx}, {dy}) at {opacity}: {off} of {inked} inked pixels differ by more than 2"
            );
        }
        // With a shadow and an outline the sprite fades the text as one (the shadow and outline
        // do not show through the letters); almost opaque, it is the text drawn opaque.
        let mut block = sample_text();
        block.shadow = Some((Rgba { r: 0, g: 0, b: 0, a: 160 }, 2.0, 3.0));
        block.outline = Some((Rgba::rgb(20, 40, 200), 1.5));
        let tf = Transform::from_translate(rest.0, rest.1);
        let (mut sprite, mut glyphs) = (canvas.clone(), canvas.clone());
        fade_text(&mut sprite, &block, rest, tf, 0.999);
        draw_text(&mut glyphs, &block, 0.0, 0.0, 1.0, tf);
        let (off, inked) = compare(&sprite, &glyphs, &canvas);
        assert!(off * 50 < inked, "outlined: {off} of {inked} inked pixels differ by more than 2");
    }

    #[test]
    fn a_slide_of_an_opaque_layer_equals_tiny_skias_blit() {
        let (canvas, layer) = test_pixmaps();
        for (dx, dy) in [(0, 0), (10, 0), (0, 7), (5, 5), (63, 0), (64, 0), (70, 0), (0, 48)] {
            let (mut fast, mut skia) = (canvas.clone(), canvas.clone());
            copy_shifted(&mut fast, &layer, dx, dy);
            skia.draw_pixmap(dx, dy, layer.as_ref(), &PixmapPaint::default(), Transform::identity(), None);
            let first = fast.data().iter().zip(skia.data()).position(|(a, b)| a != b);
            assert!(first.is_none(), "shift ({dx}, {dy}): first difference at byte {first:?}");
        }
    }
}
