//! The timeline of one record's video: which scenes play, where each starts, how it comes in,
//! and the scene nodes of the layers that show.

use crate::audio;
use std::collections::BTreeMap;

use crate::layers::{bind_background, Cx, Layer, Measured, Scope};
use crate::scene::{self, Node, Paint, Rect, SceneGraph};
use crate::storyboard::Transition;
use crate::style::{Axis, Mirror, Rgba};
use crate::template::{BindError, Context, ProblemKind};

use super::lint::{self, Gather};
use super::{companions, Binder};

/// Where each scene that plays sits on the video's timeline: decided by the scenes' `when`
/// and durations alone, before any layer is bound, so the video's length is known to the
/// bindings (`video.seconds`).
#[derive(Debug, Clone)]
pub struct Plan {
    /// (index in the storyboard's scenes, first frame, frames, transition frames).
    pub scenes: Vec<(usize, u32, u32, u32)>,
    pub total_frames: u32,
}

/// The scenes that play for the record of `cx`, placed: a transition overlaps the previous
/// scene; the first scene comes in over the video background. With a `gather` (for `check`),
/// a scene whose `when` fails is noted there and left out, so the rest is still checked.
pub fn plan(b: &Binder, cx: &Context, mut gather: Option<&mut Gather>) -> Result<Plan, BindError> {
    let fps = b.sb.video.fps;
    let mut scenes = Vec::new();
    let mut cursor = 0u32;
    for (i, s) in b.sb.scenes.iter().enumerate() {
        let plays = match (cx.holds(&s.when), gather.as_deref_mut()) {
            (Ok(p), _) => p,
            (Err(e), Some(g)) => {
                g.problems.push(e);
                continue;
            }
            (Err(e), None) => return Err(e),
        };
        if !plays {
            continue;
        }
        let frames = secs_to_frames(s.duration.secs(), fps).max(1);
        let transition_frames = secs_to_frames(s.transition.duration().secs(), fps).min(frames - 1);
        let start = if scenes.is_empty() { 0 } else { cursor.saturating_sub(transition_frames) };
        scenes.push((i, start, frames, transition_frames));
        cursor = start + frames;
    }
    if scenes.is_empty() {
        return Err(cx.err(
            ProblemKind::Other,
            "scenes",
            "no scene plays for this record: every scene's `when` is false",
        ));
    }
    Ok(Plan { scenes, total_frames: cursor })
}

/// Binds the whole video as `plan` places it: the scenes' layers, then the companions. With a
/// `gather` (for `check`), a layer that fails is noted there and binding goes on, so one pass
/// finds every problem of the record, and layout warnings are gathered too.
pub fn graph(
    b: &Binder,
    cx: &Context,
    plan: &Plan,
    mut gather: Option<&mut Gather>,
) -> Result<SceneGraph, BindError> {
    let sb = &b.sb;
    let (w, h, fps) = (sb.video.width, sb.video.height, sb.video.fps);
    let background = match &sb.video.background {
        Some(p) => bind_background(p, cx, &b.assets, (w, h), true)?,
        None => Paint::Solid(Rgba::rgb(0, 0, 0)),
    };
    let mut scenes: Vec<scene::Scene> = Vec::new();
    let mut captions: Vec<String> = Vec::new();
    let mut clips: Vec<audio::Clip> = Vec::new();
    for &(i, start, frames, transition_frames) in &plan.scenes {
        let (s, layers) = (&sb.scenes[i], &b.scenes[i]);
        let transition = match s.transition {
            Transition::Cut | Transition::Fade(_) => scene::TransitionKind::Fade,
            Transition::Slide(_, side) => scene::TransitionKind::Slide(side),
            Transition::Wipe(_, side) => scene::TransitionKind::Wipe(side),
        };
        let background = match &s.background {
            Some(p) => Some(bind_background(p, cx, &b.assets, (w, h), false)?),
            None => None,
        };
        let (nodes, caption) = scene_nodes(b, cx, s, layers, gather.as_deref_mut())?;
        captions.push(caption);
        for clip in &s.audio {
            if cx.holds(&clip.when)? {
                let pcm = companions::sound(b, cx, &clip.src)?;
                clips.push(audio::Clip {
                    pcm,
                    start: start as f64 / fps as f64 + clip.delay.secs(),
                    volume: clip.volume,
                });
            }
        }
        scenes.push(scene::Scene {
            id: s.id.clone(),
            start,
            frames,
            transition,
            transition_frames,
            background,
            nodes,
        });
    }
    if let Some(first) = gather.and_then(|g| g.problems.first().cloned()) {
        // The problems are gathered; the graph of a record that fails is never drawn.
        return Err(first);
    }
    let mut graph = SceneGraph {
        width: w,
        height: h,
        fps,
        total_frames: plan.total_frames,
        background,
        scenes,
        companions: Default::default(),
    };
    graph.companions = companions::resolve(b, cx, &graph, captions, clips)?;
    if b.burn_captions {
        companions::burn(b, cx, &mut graph)?;
    }
    Ok(graph)
}

/// The nodes of a scene that plays (its own layers, then those of the first variant that
/// applies, each when its `when` holds) and its caption (the scene's and its layers' lines).
fn scene_nodes(
    b: &Binder,
    cx: &Context,
    s: &crate::storyboard::Scene,
    layers: &super::SceneLayers,
    mut gather: Option<&mut Gather>,
) -> Result<(Vec<Node>, String), BindError> {
    // The scene's own layers, then those of the first variant that applies.
    let mut chosen: Vec<&Layer> = layers.layers.iter().collect();
    for (v, variant_layers) in s.variants.iter().zip(&layers.variants) {
        if cx.holds(&v.when)? {
            chosen.extend(variant_layers.iter());
            break;
        }
    }
    let mut caption: Vec<String> = Vec::new();
    if let Some(c) = &s.caption {
        caption.push(cx.text(c)?);
    }
    let mut nodes = Vec::new();
    // Which nodes each layer drew: (layer path, first node, end), for the layout warnings.
    let mut drawn_by: Vec<(&str, usize, usize)> = Vec::new();
    // The boxes of the named layers bound so far, which later layers' expressions may read.
    let mut measured: BTreeMap<String, Measured> = BTreeMap::new();
    for (li, layer) in chosen.into_iter().enumerate() {
        let start = nodes.len();
        let bound = (|| -> Result<Option<String>, BindError> {
            if !cx.holds(&layer.common.when)? {
                return Ok(None);
            }
            let mirrored = match layer.common.mirror.or(s.mirror) {
                Some(Mirror::Rtl) => crate::scene::text::locale_is_rtl(&cx.locale()),
                Some(Mirror::None) | None => false,
            };
            let (own, at_rest) =
                layer_nodes(b, cx, &measured, li, layer, s.duration.secs() as f32, mirrored)?;
            if let Some(name) = &layer.common.name {
                measured.insert(name.clone(), Measured::of(at_rest));
            }
            if layer.text_fit() == Some(true) {
                lint::overflow(cx, &s.id, &layer.path, || layer.text_fields(cx), &own)?;
            }
            nodes.extend(own);
            crate::layers::within_frame_budget(&nodes, b.limits.frame_image_pixels, cx, &layer.path)?;
            layer.common.caption.as_ref().map(|c| cx.text(c)).transpose()
        })();
        match (bound, gather.as_deref_mut()) {
            (Ok(c), g) => {
                caption.extend(c);
                if let (Some(g), Some(false)) = (g, layer.text_fit()) {
                    lint::cut(g, cx, &s.id, &layer.path, &nodes[start..]);
                }
            }
            (Err(e), Some(g)) => {
                nodes.truncate(start);
                g.problems.push(e);
            }
            (Err(e), None) => return Err(e),
        }
        drawn_by.push((&layer.path, start, nodes.len()));
    }
    if let Some(g) = gather {
        let drawn: Vec<lint::Drawn> =
            drawn_by.iter().map(|(path, a, z)| lint::Drawn { path, nodes: &nodes[*a..*z] }).collect();
        let framing = lint::Framing { format: &b.sb.format, named: b.sb.formats.len() > 1 };
        lint::scene(g, cx, &framing, &s.id, s.duration.secs() as f32, &drawn);
    }
    let caption = caption.into_iter().filter(|c| !c.trim().is_empty()).collect::<Vec<_>>().join("\n");
    Ok((nodes, caption))
}

/// The scene nodes of layer `index` of a scene lasting `scene_secs`: its box placed on the canvas by
/// its anchor, its motion, and what its kind draws in it; and its box at rest (what later
/// layers measure as `layers.NAME`). Its size is bound first (it may read the layers before
/// it), then its kind lays it out, then its position and motion (which may read `self`).
fn layer_nodes(
    b: &Binder,
    t: &Context,
    before: &BTreeMap<String, Measured>,
    index: usize,
    layer: &Layer,
    scene_secs: f32,
    mirrored: bool,
) -> Result<(Vec<Node>, Rect), BindError> {
    let video = &b.sb.video;
    let frame = b.sb.format.frame();
    let c = &layer.common;
    let mut scope = Scope::new(t, before);
    let width = c.width.as_ref().map(|l| scope.size(l, Axis::X, &frame)).transpose()?;
    let height = c.height.as_ref().map(|l| scope.size(l, Axis::Y, &frame)).transpose()?;
    let cx = Cx {
        t,
        fonts: &b.fonts,
        assets: &b.assets,
        palette: &b.sb.theme.palette,
        fps: video.fps,
        path: &layer.path,
        width,
        height,
        limits: &b.limits,
        missing_glyphs: b.sb.missing_glyphs,
        mirrored,
    };
    let drawn = layer.bind(&cx)?;
    let (w, h) = (drawn.width, drawn.height);
    scope.measured(w, h);
    let (x, y) = c.position(&scope, &frame)?;
    let (ax, ay) = c.anchor.fractions();
    let mut bounds = Rect { x: x - ax * w, y: y - ay * h, w, h };
    let timing = (scene_secs, secs_to_frames(scene_secs as f64, video.fps).max(1), video.fps);
    let mut animation = c.animation(&scope, (x, y), timing, &frame)?;
    let opacity = c.resting_opacity(&scope)?;
    let mut x = x;
    if mirrored {
        // Mirrored about the canvas's vertical centre line: the point at `x` moves to the
        // same distance from the right edge, the anchor flips with it (a box hanging right of
        // its point now hangs left), and sideways motion runs the other way.
        x = frame.width as f32 - x;
        bounds.x = frame.width as f32 - bounds.x - w;
        flip_dx(&mut animation);
    }
    let name = c.name.clone().unwrap_or_else(|| format!("{}#{index}", c.kind));
    let nodes = drawn
        .parts
        .into_iter()
        .map(|mut part| {
            if mirrored {
                part.at.x = w - part.at.x - part.at.w;
                flip_dx(&mut part.animation);
            }
            // A part at the box's corner keeps the box's own numbers (no `+ 0.0`).
            let shift = |base: f32, by: f32| if by == 0.0 { base } else { base + by };
            let mut a = animation.clone();
            a.opacity.extend(part.animation.opacity);
            a.dx.extend(part.animation.dx);
            a.dy.extend(part.animation.dy);
            a.scale.extend(part.animation.scale);
            Node {
                name: name.clone(),
                bounds: Rect {
                    x: shift(bounds.x, part.at.x),
                    y: shift(bounds.y, part.at.y),
                    w: part.at.w,
                    h: part.at.h,
                },
                origin: (x, y),
                opacity,
                animation: a,
                kind: part.kind,
            }
        })
        .collect();
    Ok((nodes, bounds))
}

/// Sideways motion reversed: a slide from the left comes from the right.
fn flip_dx(a: &mut scene::Animation) {
    for key in a.dx.iter_mut().flat_map(|t| t.keys.iter_mut()) {
        key.v = -key.v;
    }
}

fn secs_to_frames(secs: f64, fps: u32) -> u32 {
    (secs * fps as f64).round() as u32
}
