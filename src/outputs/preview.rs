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
    let Some(Preview { from, secs, width, fps }) = graph.companions.preview else {
        return Ok(false);
    };
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
