//! The settled layers: what a video's renderer keeps from frame to frame so that most frames
//! cost little. A layer that has reached the state it keeps to its scene's end is painted once
//! into a picture of the scene's background; each frame starts from that picture and draws the
//! other layers, and reports the rows that changed. A frame whose drawing state equals the one
//! before it is a held frame and is not drawn at all ([`Drawer`]).

use std::ops::Range;

use tiny_skia::Pixmap;

use super::cache::Cache;
use super::chart::Parts;
use super::extent::{node_extent, union, Extent};
use super::state::{frame_state, node_state, Content, FrameState, NodeState, Placement};
use super::{composite, draw_node, draw_scene, render_into, transition_progress, NodeAt};
use crate::scene::{NodeKind, Scene, SceneGraph, TransitionKind};

/// Draws a video's frames in order on one canvas, doing only what changes: a frame whose
/// drawing state (see [`frame_state`]) equals the one drawn before it is the same picture, a
/// held frame, and is not drawn; the others are drawn over the settled layers (see
/// [`render_into_cached`]).
pub struct Drawer {
    canvas: Pixmap,
    layers: Layers,
    /// The drawing state of the frame on the canvas.
    previous: Option<FrameState>,
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
/// scene's background, and the renderer's caches ([`Cache`]). A frame then starts from that
/// picture and draws only the other layers. One `Layers` serves one scene graph.
///
/// A settled layer goes into the picture when no layer below it that is still drawn every
/// frame comes near it (see `node_extent`): drawing order matters only where layers
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
    last: Option<(usize, Vec<NodeState>)>,
    /// Backgrounds and text sprites.
    cache: Cache,
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
    All(NodeState),
    /// A chart in this final placement, still growing: its static parts and its first `bars`
    /// bars (grown, with their labels); the rest is drawn every frame.
    Chart { placement: Placement, bars: usize },
}

/// Renders frame `frame` like [`super::render_into`], starting from the settled layers kept in
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
        [(si, outgoing), (ii, incoming)] if settled_in(outgoing) => {
            // A fade from an outgoing scene that draws nothing over its settled picture blends
            // straight from that picture, without copying it into the canvas first.
            let overlay = settle(graph, si, outgoing, frame, layers);
            let from_picture = incoming.transition == TransitionKind::Fade && overlay.rows.is_empty();
            if !from_picture {
                draw_overlay(graph, si, canvas, layers, overlay);
            }
            layers.drawn_over = None;
            let local = frame - incoming.start;
            let layer = layers
                .layer
                .get_or_insert_with(|| Pixmap::new(graph.width, graph.height).expect("positive size"));
            layers.cache.backdrops.incoming_layer(graph, ii, true, layer);
            draw_scene(layer, graph, ii, local, &mut layers.cache.sprites);
            let p = transition_progress(incoming, local);
            match (from_picture, &layers.settled) {
                (true, Some(settled)) => composite::fade_opaque_from(canvas, &settled.picture, layer, p),
                _ => composite::transition(canvas, layer, true, incoming.transition, p),
            }
            all
        }
        // The first scene coming in over the background, or three scenes at once.
        _ => {
            layers.drawn_over = None;
            render_into(graph, frame, canvas, &mut layers.cache);
            all
        }
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
    draw_overlay(graph, si, canvas, layers, overlay)
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
            let last = scene.nodes.iter().map(|n| node_state(n, end));
            &layers.last.insert((si, last.collect())).1
        }
    };
    let extents: Vec<Option<Extent>> = scene.nodes.iter().map(|n| node_extent(n, t, w, h)).collect();
    let plan = settle_plan(scene, t, last, &extents);
    let mut added = 0..0;
    let kept = layers.settled.as_mut().filter(|s| s.scene == si).and_then(|s| {
        let steps = additions(&s.painted, &plan, &extents)?;
        for (i, parts) in steps {
            let at = NodeAt { scene: si, node: i };
            draw_node(&mut s.picture, &scene.nodes[i], at, t, parts, &mut layers.cache.sprites);
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
        layers.cache.backdrops.scene(graph, si, &mut picture);
        for (i, (node, painted)) in scene.nodes.iter().zip(&plan).enumerate() {
            let parts = match painted {
                Painted::No => continue,
                Painted::All(_) => Parts::ALL,
                Painted::Chart { bars, .. } => Parts::settled(*bars),
            };
            let at = NodeAt { scene: si, node: i };
            draw_node(&mut picture, node, at, t, parts, &mut layers.cache.sprites);
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
    si: usize,
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
    for (i, (node, painted)) in graph.scenes[si].nodes.iter().zip(&plan).enumerate() {
        let parts = match painted {
            Painted::No => Parts::ALL,
            Painted::All(_) => continue,
            Painted::Chart { bars, .. } => Parts::moving(*bars),
        };
        draw_node(canvas, node, NodeAt { scene: si, node: i }, t, parts, &mut layers.cache.sprites);
    }
    changed
}

/// Which of the scene's nodes can be in the settled picture at `t` (`last`: the states they
/// end the scene in), given where each paints now. A node can when it is in its last state and no node
/// below it that is drawn every frame comes near it; a chart in its final place can have its
/// static parts and its grown leading bars there (the rest of it is then drawn every frame).
fn settle_plan(scene: &Scene, t: f32, last: &[NodeState], extents: &[Option<Extent>]) -> Vec<Painted> {
    let mut drawn: Vec<Extent> = Vec::new();
    let mut plan = Vec::with_capacity(scene.nodes.len());
    for ((node, extent), last) in scene.nodes.iter().zip(extents).zip(last) {
        let clear = extent.is_none_or(|e| drawn.iter().all(|d| !d.meets(&e)));
        let now = node_state(node, t);
        let painted = match (&node.kind, &now.content, &last.content) {
            _ if !clear => Painted::No,
            _ if now == *last => Painted::All(now),
            (NodeKind::Chart(chart), Content::Chart(grown), Content::Chart(full))
                if now.placement == last.placement =>
            {
                // Bars grow in order (each after the one before, or with it): the grown ones
                // lead. Slices are drawn before bars, so bars can join the picture only
                // without them.
                let bars = match chart.slices.is_empty() {
                    true => grown.bars.iter().zip(&full.bars).take_while(|(a, b)| a == b).count(),
                    false => 0,
                };
                Painted::Chart { placement: now.placement, bars }
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
                Parts::bars(*from..*to)
            }
            (Painted::Chart { placement: p, bars: from }, Painted::All(state)) if state.placement == *p => {
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
