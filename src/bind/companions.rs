//! Companions: what goes with a record's picture. Captions (one cue per scene), the sound plan,
//! the landing page's buttons and text, the email stills; and captions burnt into the picture.

use std::sync::{Arc, PoisonError};

use super::Binder;
use crate::assets::{self, AssetError};
use crate::audio;
use crate::scene::text::{self, TextStyle};
use crate::scene::{self, Node, NodeKind, Paint, Rect, SceneGraph};
use crate::storyboard::Bindable;
use crate::style::{Align, Rgba};
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
    let poster_at = match &sb.poster {
        Some(p) => p.at.secs(),
        None => {
            let first = &graph.scenes[0];
            (first.start + first.frames - 1) as f64 / fps
        }
    };
    Ok(scene::Companions {
        captions: cues,
        ctas,
        page,
        audio,
        poster: scene::Poster {
            at: poster_at,
            play_button: sb.poster.as_ref().is_some_and(|p| p.play_button),
        },
        preview: sb.preview.as_ref().map(|p| scene::Preview {
            from: p.from.secs(),
            secs: p.duration.secs(),
            width: p.width,
            fps: p.fps,
        }),
    })
}

/// The landing page's buttons of the scenes that play, with their times on the video's
/// timeline; a link must be http(s), mailto or tel.
fn ctas(b: &Binder, cx: &Context, graph: &SceneGraph) -> Result<Vec<scene::Cta>, BindError> {
    let fps = graph.fps as f64;
    let total = graph.duration_secs();
    let (cw, ch) = (graph.width as f64, graph.height as f64);
    let mut ctas = Vec::new();
    for c in &b.sb.cta {
        // Times from the start of a scene, if it plays; else from the video's start.
        let (offset, end) = match &c.scene {
            Some(id) => match graph.scenes.iter().find(|s| &s.id == id) {
                Some(s) => (s.start as f64 / fps, (s.start + s.frames) as f64 / fps),
                None => continue,
            },
            None => (0.0, total),
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
        ctas.push(scene::Cta {
            label: cx.text(&c.label)?,
            href,
            from: offset + c.from.secs(),
            to: c.to.map_or(end, |t| offset + t.secs()).min(total),
            rect: Rect {
                x: c.x.resolve(cw) as f32,
                y: c.y.resolve(ch) as f32,
                w: c.width.resolve(cw) as f32,
                h: c.height.resolve(ch) as f32,
            },
            background: cx.value(&c.background)?,
            color: cx.value(&c.color)?,
            radius: c.radius,
            size: c.size,
        });
    }
    Ok(ctas)
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
        let block = Arc::new(text::layout_fit(font, &cue.text, style, size * 0.7));
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
