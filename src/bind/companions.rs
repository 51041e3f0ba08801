//! Companions: what goes with a record's picture. Captions (one cue per scene), the sound plan,
//! the landing page's buttons and text, the email stills; and captions burnt into the picture.

use std::sync::{Arc, PoisonError};

use super::Binder;
use crate::assets::{self, AssetError};
use crate::audio;
use crate::scene::text::{self, TextStyle};
use crate::scene::{self, Node, NodeKind, Paint, Rect, SceneGraph};
use crate::storyboard::Bindable;
use crate::style::{Align, Axis, Rgba};
use crate::template::{BindError, Context, ProblemKind};

/// Captions (one cue per scene, until the next scene starts), the sound plan, the
/// landing page's buttons and text, and the email stills.
pub fn resolve(
    b: &Binder,
    cx: &Context,
    graph: &SceneGraph,
    captions: Vec<String>,
    clips: Vec<audio::Clip>,
) -> Result<scene::Companions, BindError> {
    let sb = &b.sb;
    let fps = graph.fps as f64;
    let total = graph.duration_secs();
    let mut cues = Vec::new();
    for (i, (s, text)) in graph.scenes.iter().zip(captions).enumerate() {
        let end = graph.scenes.get(i + 1).map_or(total, |n| n.start as f64 / fps);
        if !text.is_empty() {
            cues.push(scene::Cue { start: s.start as f64 / fps, end, text });
        }
    }
    let music = match &sb.audio {
        Some(a) => Some(audio::Music {
            pcm: sound(b, cx, &a.music)?,
            volume: a.volume,
            fade_in: a.fade_in.secs(),
            fade_out: a.fade_out.secs(),
            looped: a.looped,
            duck: a.duck,
        }),
        None => None,
    };
    let audio = (music.is_some() || !clips.is_empty()).then_some(audio::Plan {
        music,
        clips,
        master: audio::Master { loudness: sb.sound.loudness, true_peak: sb.sound.true_peak },
    });
    let ctas = ctas(b, cx, graph)?;
    let page = match &sb.page {
        Some(p) => Some(scene::Page {
            title: cx.text(&p.title)?,
            summary: p.summary.iter().map(|l| cx.text(l)).collect::<Result<_, _>>()?,
            transcript: match &p.transcript {
                Some(t) => Some(cx.text(t)?),
                None => None,
            },
            background: cx.value(&p.background)?,
            color: cx.value(&p.color)?,
            lang: cx.locale(),
        }),
        None => None,
    };
    let poster_at = match sb.poster.as_ref().and_then(|p| p.at) {
        Some(at) => at.secs(),
        None => {
            let first = &graph.scenes[0];
            (first.start + first.frames - 1) as f64 / fps
        }
    };
    Ok(scene::Companions {
        captions: cues,
        captions_lang: cx.locale(),
        ctas,
        page,
        audio,
        poster: poster(sb.poster.as_ref(), poster_at),
        preview: sb.preview.as_ref().map(|p| scene::Preview {
            from: p.from.secs(),
            secs: p.duration.secs(),
            width: p.width,
            fps: p.fps,
        }),
    })
}

/// A CTA's `font` must be one of `fonts:`, and the layer it `follow`s must be in its scene.
pub(super) fn check_ctas(
    sb: &crate::storyboard::Storyboard,
    scenes: &[super::SceneLayers],
    rep: &mut crate::storyboard::Reporter,
) {
    use crate::storyboard::spans::{join_index, join_key};
    for (i, c) in sb.cta.iter().enumerate() {
        let cp = join_index("cta", i);
        if let Some(font) = &c.font {
            if !sb.fonts.contains_key(font) {
                let names: Vec<&str> = sb.fonts.keys().map(String::as_str).collect();
                rep.error(
                    &join_key(&cp, "font"),
                    format!("no font is named `{font}`"),
                    Some(format!("fonts: {}", names.join(", "))),
                );
            }
        }
        let Some(name) = &c.follow else { continue };
        let Some(at) = c.scene.as_ref().and_then(|id| sb.scenes.iter().position(|s| &s.id == id)) else {
            rep.error(
                &join_key(&cp, "follow"),
                "`follow` needs `scene`: the layer is looked for in that scene",
                Some("add `scene: <id>` to this call to action".into()),
            );
            continue;
        };
        let layers = &scenes[at];
        let names: Vec<&str> = layers
            .layers
            .iter()
            .chain(layers.variants.iter().flatten())
            .filter_map(|l| l.common.name.as_deref())
            .collect();
        if !names.contains(&name.as_str()) {
            rep.error(
                &join_key(&cp, "follow"),
                format!("scene `{}` has no layer named `{name}`", sb.scenes[at].id),
                Some(if names.is_empty() {
                    "give the layer a `name:`".into()
                } else {
                    format!("its named layers: {}", names.join(", "))
                }),
            );
        }
    }
}

/// The poster frame's time and its play button (none, placed by `auto`, or at a fixed spot).
fn poster(spec: Option<&crate::storyboard::PosterSpec>, at: f64) -> scene::Poster {
    use crate::storyboard::PlayButtonSpec;
    let place = spec.map_or(PlayButtonSpec::None, |p| p.play_button);
    scene::Poster {
        off: spec.is_some_and(|p| !p.enabled),
        at,
        play_button: place != PlayButtonSpec::None,
        play_button_at: match place {
            PlayButtonSpec::At(anchor) => Some(anchor),
            PlayButtonSpec::None | PlayButtonSpec::Auto => None,
        },
    }
}

/// The landing page's buttons of the scenes that play, with their times on the video's
/// timeline; a link must be http(s), mailto or tel.
fn ctas(b: &Binder, cx: &Context, graph: &SceneGraph) -> Result<Vec<scene::Cta>, BindError> {
    let fps = graph.fps as f64;
    let total = graph.duration_secs();
    let frame = b.sb.format.frame();
    let mut ctas = Vec::new();
    for (i, c) in b.sb.cta.iter().enumerate() {
        // Times from the start of a scene, if it plays; else from the video's start.
        let (offset, end, scene) = match &c.scene {
            Some(id) => match graph.scenes.iter().find(|s| &s.id == id) {
                Some(s) => (s.start as f64 / fps, (s.start + s.frames) as f64 / fps, Some(s)),
                None => continue,
            },
            None => (0.0, total, None),
        };
        let hp = c.href.path();
        let href = cx.text(&c.href)?;
        let lower = href.trim_start().to_ascii_lowercase();
        if !["https://", "http://", "mailto:", "tel:"].iter().any(|p| lower.starts_with(p)) {
            return Err(cx.err_from(
                ProblemKind::WrongValue,
                hp,
                &cx.fields_of(&c.href),
                &format!("the link `{href}`{{from}} is not an http(s), mailto or tel link"),
            ));
        }
        let (w, h) = (c.width.size(Axis::X, &frame) as f32, c.height.size(Axis::Y, &frame) as f32);
        let (ax, ay) = c.anchor.fractions();
        let (x, y) = (c.x.position(Axis::X, &frame) as f32, c.y.position(Axis::Y, &frame) as f32);
        let from = offset + c.from.secs();
        let to = c.to.map_or(end, |t| offset + t.secs()).min(total);
        ctas.push(scene::Cta {
            label: cx.text(&c.label)?,
            href,
            from,
            to,
            rect: Rect { x: x - ax * w, y: y - ay * h, w, h },
            background: cx.value(&c.background)?,
            color: cx.value(&c.color)?,
            radius: c.radius,
            size: c.size,
            look: look(b, cx, i, scene, (x, y), (from, to))?,
        });
    }
    Ok(ctas)
}

/// What the page draws of CTA `i` beyond its box and colours: its fill, font and shadow, and
/// the scale of the layer it follows (of `scene`, the one it is timed by) from `from` to `to`,
/// around that layer's anchor point (else around `at`, the CTA's own).
fn look(
    b: &Binder,
    cx: &Context,
    i: usize,
    scene: Option<&scene::Scene>,
    at: (f32, f32),
    (from, to): (f64, f64),
) -> Result<scene::CtaLook, BindError> {
    let c = &b.sb.cta[i];
    let followed = match (&c.follow, scene) {
        (Some(name), Some(s)) => s.nodes.iter().find(|n| &n.name == name).map(|n| (n, s)),
        _ => None,
    };
    // A font name not in `fonts:` was refused at load (`check_ctas`).
    let font = match c.font.as_ref().and_then(|name| b.sb.fonts.get(name)) {
        Some(file) => Some(b.assets.resolve(file).map_err(|e| {
            let path = crate::storyboard::spans::join_index("cta", i);
            cx.err(ProblemKind::MissingAsset, &format!("{path}.font"), e.to_string())
        })?),
        None => None,
    };
    Ok(scene::CtaLook {
        fill: match &c.fill {
            Some(p) => Some(crate::layers::bind_paint(p, cx)?),
            None => None,
        },
        font,
        shadow: c.shadow,
        pulse: followed.map_or_else(Vec::new, |(n, s)| pulse(n, s, b.sb.video.fps as f64, from, to)),
        origin: followed.map_or(at, |(n, _)| n.origin),
    })
}

/// The scale of `node` (of `scene`) on the video's timeline from `from` to `to` seconds, sampled
/// at every frame and kept where it changes: each kept pair is where a straight piece between
/// samples starts or ends, so the page's linear interpolation retraces the drawn curve to the
/// frame. Empty when the node never scales in that time.
fn pulse(node: &Node, scene: &scene::Scene, fps: f64, from: f64, to: f64) -> Vec<(f64, f32)> {
    let start = scene.start as f64 / fps;
    let first = (from * fps).floor() as u32;
    let last = (to * fps).ceil() as u32;
    let samples: Vec<(f64, f32)> = (first..=last)
        .map(|f| {
            let t = f as f64 / fps;
            (t, node.animation.at((t - start) as f32).scale)
        })
        .collect();
    if samples.iter().all(|(_, s)| (s - 1.0).abs() < 1e-4) {
        return Vec::new();
    }
    // Keep the ends and every sample where the slope changes.
    let mut kept: Vec<(f64, f32)> = Vec::new();
    for (k, &(t, s)) in samples.iter().enumerate() {
        let keep = match (k.checked_sub(1).map(|j| samples[j]), samples.get(k + 1)) {
            (Some((_, a)), Some(&(_, c))) => ((s - a) - (c - s)).abs() > 1e-4,
            _ => true,
        };
        if keep {
            kept.push((t, s));
        }
    }
    kept
}

/// Adds each cue to its scene as a line of text on a dark band near the bottom.
pub fn burn(b: &Binder, cx: &Context, graph: &mut SceneGraph) -> Result<(), BindError> {
    let font = b
        .fonts
        .chain(None)
        .ok_or_else(|| cx.err(ProblemKind::Other, "captions.font", "font `(default)` is not loaded"))?;
    let (w, h) = (graph.width as f32, graph.height as f32);
    let size = (h / 24.0).round().max(12.0);
    let fps = graph.fps as f64;
    for cue in graph.companions.captions.clone() {
        let Some(scene) = graph.scenes.iter_mut().find(|s| (s.start as f64 / fps - cue.start).abs() < 1e-6)
        else {
            continue;
        };
        let style = TextStyle {
            max_lines: Some(3),
            ..TextStyle::simple(size, Rgba::rgb(255, 255, 255), Align::Center, Some(w * 0.8))
        };
        // A right-to-left locale's caption reads right to left even when it starts with a Latin
        // brand name or a number: a leading RLM makes it so (UAX #9 P2).
        let cue_text = if text::locale_is_rtl(&graph.companions.captions_lang) {
            format!("\u{200F}{}", cue.text)
        } else {
            cue.text.clone()
        };
        let block = Arc::new(text::layout_fit(font, &cue_text, style, size * 0.7));
        let pad = size * 0.4;
        let (bw, bh) = (block.width + 2.0 * pad, block.height + 2.0 * pad);
        let y = h - bh - size;
        let still = |bounds: Rect, kind: NodeKind| Node {
            name: "caption".into(),
            bounds,
            origin: (bounds.x, bounds.y),
            opacity: 1.0,
            animation: scene::Animation::default(),
            kind,
        };
        scene.nodes.push(still(
            Rect { x: (w - bw) / 2.0, y, w: bw, h: bh },
            NodeKind::Rect {
                fill: Some(Paint::Solid(Rgba { r: 0, g: 0, b: 0, a: 166 })),
                radius: size * 0.3,
                stroke: None,
            },
        ));
        scene.nodes.push(still(
            Rect { x: (w - block.width) / 2.0, y: y + pad, w: block.width, h: block.height },
            NodeKind::Text(scene::TextNode { variants: vec![(0.0, block)] }),
        ));
    }
    Ok(())
}

/// A sound file chosen by `src` (may hold bindings), decoded once per storyboard. `check`
/// only makes sure the file is there.
pub fn sound(b: &Binder, cx: &Context, src: &Bindable<String>) -> Result<Arc<audio::Pcm>, BindError> {
    let path = src.path();
    let rel = cx.text(src)?;
    let file = b.assets.resolve(&rel).map_err(|e| cx.err(ProblemKind::MissingAsset, path, e.to_string()))?;
    if cx.check_only() {
        return Ok(Arc::new(audio::Pcm::default()));
    }
    // Decoding can fail or panic: never under the lock, which a poisoned state does not stop.
    if let Some(hit) = b.sounds.lock().unwrap_or_else(PoisonError::into_inner).get(&file) {
        return Ok(hit.clone());
    }
    // A bad file is examined once per run: later records fail at once with the same error.
    let pcm = match b.assets.failed(&file) {
        Some(e) => Err(e),
        None => audio::decode(&file).map_err(|e| {
            let e = AssetError::BadSound { path: assets::shown(&rel), reason: e.to_string() };
            b.assets.remember_failure(&file, &e);
            e
        }),
    };
    let pcm = Arc::new(pcm.map_err(|e| cx.err(ProblemKind::WrongValue, path, e.to_string()))?);
    b.sounds.lock().unwrap_or_else(PoisonError::into_inner).insert(file, pcm.clone());
    Ok(pcm)
}
