//! The animated preview for emails: a short looping GIF of the video.
//!
//! In: a bound [`SceneGraph`] and its companions' preview settings. Out: a GIF, written
//! atomically like the video.

use std::path::Path;

use image::RgbaImage;

use super::{fail, OutputsError};
use crate::encode::Deadline;
use crate::output::write_atomically;
use crate::raster;
use crate::scene::{Preview, SceneGraph};

/// Writes the animated preview (looping GIF) when the storyboard has `preview`; returns
/// whether it did.
///
/// Like the video, it does only what changes. The frames are drawn in order over the settled
/// layers; a frame that shows the same picture as the one before lengthens that one's delay
/// instead of being stored again; and every frame after the first stores only the rectangle
/// that changed, drawn over what is shown (GIF's "keep" disposal). Each stored rectangle gets
/// its own palette (NeuQuant), so a small one is quantised fast and well.
pub fn write_preview(graph: &SceneGraph, out: &Path, tag: &str) -> Result<bool, OutputsError> {
    write_preview_until(graph, out, tag, None)
}

/// Like [`write_preview`], giving up with [`OutputsError::Timeout`] (nothing published) when
/// `deadline` passes before a preview frame is drawn.
pub fn write_preview_until(
    graph: &SceneGraph,
    out: &Path,
    tag: &str,
    deadline: Option<Deadline>,
) -> Result<bool, OutputsError> {
    let Some(preview) = graph.companions.preview else {
        return Ok(false);
    };
    let Preview { width, fps, .. } = preview;
    let Window { from, secs, .. } = window(graph, &preview);
    let width = width.min(graph.width).min(u16::MAX as u32);
    let height = ((graph.height as u64 * width as u64 / graph.width as u64) as u32).clamp(1, u16::MAX as u32);
    let count = ((secs * fps as f64).round() as u32).max(1);
    write_atomically(out, tag, |tmp| {
        let file = std::fs::File::create(tmp).map_err(|e| fail(out, e))?;
        let mut gif = gif::Encoder::new(std::io::BufWriter::new(file), width as u16, height as u16, &[])
            .map_err(|e| fail(out, e))?;
        gif.set_repeat(gif::Repeat::Infinite).map_err(|e| fail(out, e))?;
        let mut drawer = raster::Drawer::new(graph);
        // The picture shown so far, and the stored frame still waiting for its delay: the
        // rectangle that changed, and the preview frame it starts at.
        let mut shown: Option<RgbaImage> = None;
        let mut pending: Option<(Changed, u32)> = None;
        for i in 0..count {
            if deadline.is_some_and(|d| d.passed()) {
                return Err(OutputsError::Timeout { path: out.to_path_buf() });
            }
            let f = graph.frame_at(from + i as f64 / fps as f64);
            if drawer.draw(graph, f).is_none() {
                continue;
            }
            let small = image::imageops::resize(
                &raster::to_rgba_image(drawer.canvas()),
                width,
                height,
                image::imageops::FilterType::Triangle,
            );
            let Some(changed) = changed_rect(shown.as_ref(), &small) else { continue };
            if let Some((frame, start)) = pending.take() {
                write_gif_frame(&mut gif, frame, start, i, fps).map_err(|e| fail(out, e))?;
            }
            pending = Some((changed, i));
            shown = Some(small);
        }
        if let Some((frame, start)) = pending {
            write_gif_frame(&mut gif, frame, start, count, fps).map_err(|e| fail(out, e))?;
        }
        let mut w = gif.into_inner().map_err(|e| fail(out, e))?;
        std::io::Write::flush(&mut w).map_err(|e| fail(out, e))
    })?;
    Ok(true)
}

/// The part of the video a preview shows, in seconds, and the scene it lies in.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Window {
    pub from: f64,
    pub secs: f64,
    /// The scene it opens on (index in the graph's scenes).
    pub scene: usize,
    /// The window as the storyboard asks it was clear of every transition.
    pub as_asked: bool,
}

/// The window the preview takes: the one the storyboard asks for when none of its frames lies
/// in a transition (a scene coming in over the one before, or the first over the background);
/// else the nearest window of the same length that lies in one scene clear of transitions; else
/// (no scene is that long) the longest such stretch. A loop that ends on the first frame of a
/// fade flashes the next scene; one inside a scene loops cleanly.
pub fn window(graph: &SceneGraph, p: &Preview) -> Window {
    let vfps = graph.fps as f64;
    let count = ((p.secs * p.fps as f64).round() as u32).max(1);
    // From the first sample to the last, in seconds.
    let span = (count - 1) as f64 / p.fps as f64;
    // The stretches clear of transitions: from the end of a scene's transition to the start
    // of the next one's, a cut (no transition) joining two scenes into one stretch.
    let mut calm: Vec<(u32, u32)> = Vec::new();
    for (k, s) in graph.scenes.iter().enumerate() {
        let lo = s.start + s.transition_frames;
        let hi = graph.scenes.get(k + 1).map_or(graph.total_frames, |n| n.start).max(lo);
        match calm.last_mut() {
            Some(last) if s.transition_frames == 0 && last.1 == s.start => last.1 = hi,
            _ => calm.push((lo, hi)),
        }
    }
    // The scene a window starting at `from` opens on.
    let scene_at = |from: f64| {
        let f = graph.frame_at(from);
        graph.scenes.iter().rposition(|s| s.start <= f).unwrap_or(0)
    };
    let frames = |from: f64| (0..count).map(move |i| graph.frame_at(from + i as f64 / p.fps as f64));
    let inside = |from: f64, (lo, hi): (u32, u32)| frames(from).all(|f| f >= lo && f < hi);
    if calm.iter().any(|c| inside(p.from, *c)) {
        return Window { from: p.from, secs: p.secs, scene: scene_at(p.from), as_asked: true };
    }
    // The starts that keep every sample in a stretch: first at or after `lo`, last before `hi`.
    let fits = |(lo, hi): (u32, u32)| {
        let (a, b) = (lo as f64 / vfps, (hi as f64 - 1.0) / vfps - span);
        (a <= b).then(|| {
            let from = p.from.clamp(a, b);
            (from, (from - p.from).abs())
        })
    };
    let nearest = calm
        .iter()
        .filter_map(|c| fits(*c).filter(|(from, _)| inside(*from, *c)))
        .min_by(|a, b| a.1.total_cmp(&b.1));
    if let Some((from, _)) = nearest {
        return Window { from, secs: p.secs, scene: scene_at(from), as_asked: false };
    }
    let (lo, hi) = calm.iter().copied().max_by_key(|(lo, hi)| hi - lo).unwrap_or((0, 1));
    // As many samples as fit between `lo` and `hi`.
    let fit = (((hi.saturating_sub(lo + 1)) as f64 / vfps * p.fps as f64).floor() as u32 + 1).min(count);
    let from = lo as f64 / vfps;
    Window { from, secs: fit as f64 / p.fps as f64, scene: scene_at(from), as_asked: false }
}

/// What `check` says of a record's preview: the window taken, and why it moved.
pub fn describe(graph: &SceneGraph) -> Option<String> {
    let p = graph.companions.preview?;
    let w = window(graph, &p);
    let scene = graph.scenes.get(w.scene).map_or("", |s| s.id.as_str());
    let shown = format!("{:.2}–{:.2} s (scene `{scene}`)", w.from, w.from + w.secs);
    Some(if w.as_asked {
        format!("preview: {shown}, as asked, clear of transitions")
    } else {
        format!(
            "preview: {shown}, moved from {:.2}–{:.2} s, which takes frames from a transition",
            p.from,
            p.from + p.secs
        )
    })
}

/// The part of a preview frame that differs from the picture shown before it.
struct Changed {
    left: u32,
    top: u32,
    pixels: RgbaImage,
}

/// The smallest rectangle of `now` that differs from `before` (all of it when nothing was
/// shown yet), or None when nothing does.
fn changed_rect(before: Option<&RgbaImage>, now: &RgbaImage) -> Option<Changed> {
    let (w, h) = now.dimensions();
    let Some(before) = before else {
        return Some(Changed { left: 0, top: 0, pixels: now.clone() });
    };
    let row = |y: u32| {
        let span = (y * w * 4) as usize..((y + 1) * w * 4) as usize;
        (&before.as_raw()[span.clone()], &now.as_raw()[span])
    };
    let differs = |y: u32| {
        let (a, b) = row(y);
        a != b
    };
    let top = (0..h).find(|&y| differs(y))?;
    let bottom = (top..h).rev().find(|&y| differs(y)).expect("row `top` differs") + 1;
    let (mut left, mut right) = (w, 0);
    for y in top..bottom {
        let (a, b) = row(y);
        let px = |x: u32| a[(x * 4) as usize..][..4] != b[(x * 4) as usize..][..4];
        if let Some(x) = (0..left).find(|&x| px(x)) {
            left = x;
        }
        if let Some(x) = (right..w).rev().find(|&x| px(x)) {
            right = x + 1;
        }
    }
    let pixels = image::imageops::crop_imm(now, left, top, right - left, bottom - top).to_image();
    Some(Changed { left, top, pixels })
}

/// Writes `frame`, shown from preview frame `start` until frame `end` (its delay counted from
/// the preview's start, so rounding to GIF's hundredths of a second never adds up).
fn write_gif_frame<W: std::io::Write>(
    gif: &mut gif::Encoder<W>,
    frame: Changed,
    start: u32,
    end: u32,
    fps: u32,
) -> Result<(), gif::EncodingError> {
    let centis = |i: u32| ((i as u64 * 100 + fps as u64 / 2) / fps as u64) as u16;
    let (w, h) = frame.pixels.dimensions();
    let mut pixels = frame.pixels.into_raw();
    // Speed 10 of 30: NeuQuant palettes good enough for flat motion graphics.
    let mut g = gif::Frame::from_rgba_speed(w as u16, h as u16, &mut pixels, 10);
    g.left = frame.left as u16;
    g.top = frame.top as u16;
    g.delay = centis(end) - centis(start);
    g.dispose = gif::DisposalMethod::Keep;
    gif.write_frame(&g)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scene::{Paint, Rgba, Scene, TransitionKind};

    /// A 10 fps video of empty scenes: (first frame, frames, transition frames) each.
    fn video(scenes: &[(u32, u32, u32)]) -> SceneGraph {
        let scenes: Vec<Scene> = scenes
            .iter()
            .enumerate()
            .map(|(i, &(start, frames, transition_frames))| Scene {
                id: format!("s{i}"),
                start,
                frames,
                transition: TransitionKind::Fade,
                transition_frames,
                background: None,
                nodes: Vec::new(),
            })
            .collect();
        let total_frames = scenes.last().map_or(0, |s| s.start + s.frames);
        SceneGraph {
            width: 64,
            height: 36,
            fps: 10,
            total_frames,
            background: Paint::Solid(Rgba::rgb(0, 0, 0)),
            scenes,
            companions: Default::default(),
        }
    }

    fn asked(from: f64, secs: f64) -> Preview {
        Preview { from, secs, width: 64, fps: 10 }
    }

    #[test]
    fn a_window_clear_of_transitions_is_taken_as_asked_across_a_cut() {
        // s1 comes in by a cut at 2 s; s2 fades in over 4.5-5 s.
        let g = video(&[(0, 20, 0), (20, 30, 0), (45, 20, 5)]);
        let w = window(&g, &asked(1.0, 3.0));
        assert_eq!(w, Window { from: 1.0, secs: 3.0, scene: 0, as_asked: true });
    }

    #[test]
    fn a_window_that_reaches_a_fade_moves_to_the_nearest_clear_one() {
        let g = video(&[(0, 20, 0), (20, 30, 0), (45, 20, 5)]);
        // 2.0-4.9 s would end inside the fade (4.5-5 s): it ends on its last frame before.
        let w = window(&g, &asked(2.0, 3.0));
        assert!(!w.as_asked && (w.from - 1.5).abs() < 1e-9 && w.secs == 3.0, "{w:?}");
        // One that starts inside the fade moves after it.
        let w = window(&g, &asked(4.6, 1.0));
        assert!((w.from - 5.0).abs() < 1e-9 && w.scene == 2, "{w:?}");
    }

    #[test]
    fn no_stretch_long_enough_gives_the_longest_one() {
        // Stretches clear of fades: 0-1.5 s, 2-3.5 s, 4-6 s.
        let g = video(&[(0, 20, 0), (15, 20, 5), (30, 30, 10)]);
        let w = window(&g, &asked(0.0, 3.0));
        assert_eq!(w, Window { from: 4.0, secs: 2.0, scene: 2, as_asked: false });
    }
}
