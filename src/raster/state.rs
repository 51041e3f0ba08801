//! What a frame's drawing depends on: which scenes show, how far their transitions are, and
//! every node's animated state. The scene graph is fixed for the video and only time changes
//! between frames, so two consecutive frames with equal states draw the same pixels: the
//! second is a held frame, with nothing to draw or convert again.

use crate::scene::{Node, NodeKind, SceneGraph};

/// A number compared by its bits: equal states are the same numbers exactly (a NaN equals
/// itself, -0.0 differs from 0.0), never merely close.
#[derive(Debug, Clone, Copy)]
pub struct Exact(pub f32);

impl PartialEq for Exact {
    fn eq(&self, other: &Exact) -> bool {
        self.0.to_bits() == other.0.to_bits()
    }
}

impl Eq for Exact {}

/// Everything about one frame that drawing depends on (see [`frame_state`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameState {
    /// The scenes on screen, in drawing order.
    pub scenes: Vec<SceneState>,
}

/// A scene on screen at one frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SceneState {
    /// The scene's index in the graph.
    pub index: usize,
    /// The frame of its transition in, while it comes in (every such frame differs); None once
    /// it is in.
    pub transition: Option<u32>,
    /// Its nodes' states, in drawing order.
    pub nodes: Vec<NodeState>,
}

/// A node's animated state at one moment: where and how strongly it is drawn, and what it
/// shows. Equal states draw equal pixels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeState {
    pub placement: Placement,
    pub content: Content,
}

/// Where and how strongly a node is drawn: its animated opacity, offset and scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placement {
    pub opacity: Exact,
    pub dx: Exact,
    pub dy: Exact,
    pub scale: Exact,
}

/// What a node shows that can change over its scene.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    /// A shape, an image or a QR code: always the same.
    Fixed,
    /// A text: how many of its variants have started (the last of them is shown).
    Text {
        started: usize,
    },
    /// A gauge: the fraction filled.
    Progress {
        shown: Exact,
    },
    Chart(ChartState),
}

/// How far a chart's marks have grown, and which variant each counter shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartState {
    /// Each bar's progress (0..=1), in the chart's order (bars grow in that order).
    pub bars: Vec<Exact>,
    pub lines: Vec<Exact>,
    /// Each slice's sweep.
    pub slices: Vec<Exact>,
    /// How many variants of each counter have started.
    pub counters: Vec<usize>,
}

/// Everything about frame `frame` that drawing depends on: which scenes show and how far their
/// transitions are, and every node's animated state (see [`node_state`]).
pub fn frame_state(graph: &SceneGraph, frame: u32) -> FrameState {
    let scenes = graph.scenes.iter().enumerate().filter(|(_, s)| s.contains(frame));
    let scenes = scenes
        .map(|(index, scene)| {
            let local = frame - scene.start;
            let t = local as f32 / graph.fps as f32;
            SceneState {
                index,
                transition: (local < scene.transition_frames).then_some(local),
                nodes: scene.nodes.iter().map(|n| node_state(n, t)).collect(),
            }
        })
        .collect();
    FrameState { scenes }
}

/// A node's animated state at `t` seconds into its scene: placement, opacity, text variant,
/// how far bars, lines, slices and gauges have grown.
pub fn node_state(node: &Node, t: f32) -> NodeState {
    let s = node.animation.at(t);
    let placement =
        Placement { opacity: Exact(s.opacity), dx: Exact(s.dx), dy: Exact(s.dy), scale: Exact(s.scale) };
    let started =
        |v: &[(f32, std::sync::Arc<crate::scene::TextBlock>)]| v.partition_point(|(from, _)| *from <= t);
    let content = match &node.kind {
        NodeKind::Text(text) => Content::Text { started: started(&text.variants) },
        NodeKind::Progress(p) => Content::Progress { shown: Exact(p.shown(t)) },
        NodeKind::Chart(c) => Content::Chart(ChartState {
            bars: c.bars.iter().map(|b| Exact(b.progress(t))).collect(),
            lines: c.lines.iter().map(|l| Exact(l.progress(t))).collect(),
            slices: c.slices.iter().map(|sl| Exact(sl.shown(t))).collect(),
            counters: c.counters.iter().map(|k| started(&k.text.variants)).collect(),
        }),
        NodeKind::Rect { .. } | NodeKind::Image { .. } | NodeKind::Qr(_) => Content::Fixed,
    };
    NodeState { placement, content }
}
