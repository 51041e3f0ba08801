//! What `check` gathers about one record besides its first problem: every problem (binding
//! goes on past a layer that fails), and layout warnings judged on that record's data: text
//! or pictures that leave the canvas, texts that overlap, text cut with an ellipsis. And the one
//! judgement of overflowing text that `check` and `batch` share ([`overflow`], [`cut`]).
//!
//! Text is judged by its ink (each glyph's outline, placed as the renderer places it), not by
//! its box: a box may be wider than what it holds. Overlaps are looked for while both texts
//! show (sampled over the scene, with their motion), so a text that fades out before another
//! fades in is not one.

use crate::scene::{Node, NodeKind, Rect};
use crate::template::{BindError, Context};

/// Every problem and warning of one record, gathered while it is bound for `check`.
#[derive(Debug, Default)]
pub struct Gather {
    pub problems: Vec<BindError>,
    pub warnings: Vec<Warning>,
    /// The locale the record is bound in (its own, or the storyboard's), once it is known.
    pub locale: Option<String>,
}

/// A layout warning: the record still renders, but probably not as the author meant.
#[derive(Debug, Clone, PartialEq)]
pub struct Warning {
    pub record: String,
    /// The layer's storyboard path (`scenes[1].layers[2]`) and its `file:line:column`.
    pub path: String,
    pub location: Option<String>,
    pub message: String,
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "record {}: {}", self.record, self.message)?;
        match &self.location {
            Some(loc) => write!(f, " (in {} at {loc})", self.path),
            None => write!(f, " (in {})", self.path),
        }
    }
}

/// The nodes one layer drew in a scene, with the layer's path.
pub struct Drawn<'a> {
    pub path: &'a str,
    pub nodes: &'a [Node],
}

/// How far past the canvas's edge (in pixels) counts as leaving it: anti-aliasing spills half
/// a pixel.
const SLACK: f32 = 0.5;
/// Times sampled per scene when looking for texts that show together.
const SAMPLES: usize = 24;

/// The frame a scene is checked in: its format, named in warnings when the storyboard
/// declares several.
pub struct Framing<'a> {
    pub format: &'a crate::storyboard::Format,
    pub named: bool,
}

/// Warns about each layer of a scene whose text, picture, QR code, chart or progress bar leaves
/// the canvas or the format's safe area (at rest, as placed: a layer that slides in from outside
/// is not one), and each pair of texts that overlap while both show.
pub fn scene(
    gather: &mut Gather,
    cx: &Context,
    framing: &Framing,
    scene_id: &str,
    secs: f32,
    layers: &[Drawn],
) {
    let f = framing.format;
    let canvas = (f.width as f32, f.height as f32);
    let (sx, sy, sw, sh) = f.safe_rect();
    let has_safe = f.safe_area != Default::default();
    // "format `portrait`, scene `a`" when the storyboard has several formats.
    let at = match framing.named {
        true => format!("format `{}`, scene `{scene_id}`", f.name),
        false => format!("scene `{scene_id}`"),
    };
    let mut warn = |path: &str, message: String| {
        gather.warnings.push(Warning {
            record: cx.record().id.clone(),
            path: path.to_string(),
            location: cx.err(crate::template::ProblemKind::Other, path, "").location,
            message,
        })
    };
    for layer in layers {
        for node in layer.nodes {
            let (what, ink) = match &node.kind {
                NodeKind::Text(t) => match t.variants.iter().filter_map(|(_, b)| ink(b)).reduce(union) {
                    Some(r) => ("text", moved(r, node.bounds.x, node.bounds.y)),
                    None => continue,
                },
                NodeKind::Image { .. } => ("picture", node.bounds),
                NodeKind::Qr(_) => ("QR code", node.bounds),
                NodeKind::Chart(_) => ("chart", node.bounds),
                NodeKind::Progress(_) => ("progress bar", node.bounds),
                _ => continue,
            };
            if let Some(side) = outside(ink, canvas) {
                warn(
                    layer.path,
                    format!(
                        "{at}, layer `{}`: the {what} leaves the {}x{} canvas by {side} for this record's data; give it more room or move it in",
                        node.name, canvas.0, canvas.1
                    ),
                );
            } else if let Some(side) = has_safe
                .then(|| outside(moved(ink, -sx as f32, -sy as f32), (sw as f32, sh as f32)))
                .flatten()
            {
                warn(
                    layer.path,
                    format!(
                        "{at}, layer `{}`: the {what} leaves the safe area (the part platforms do not cover) by {side} for this record's data; move it in, e.g. with `s%` positions",
                        node.name
                    ),
                );
            }
        }
    }
    // Each text's ink at each sampled moment (None while it does not show), computed once per
    // text: the glyphs' outlines are measured once per value the text shows.
    let texts: Vec<(usize, &Node, Vec<Option<Rect>>)> = layers
        .iter()
        .enumerate()
        .flat_map(|(i, l)| l.nodes.iter().map(move |n| (i, n)))
        .filter_map(|(i, n)| Some((i, n, samples(n, secs)?)))
        .collect();
    for (a, (ia, na, sa)) in texts.iter().enumerate() {
        for (ib, nb, sb) in texts.iter().skip(a + 1) {
            if ia == ib {
                continue; // parts of one layer (a table's rows) are laid out together
            }
            let first = sa.iter().zip(sb).find_map(|(ra, rb)| intersection((*ra)?, (*rb)?));
            if let Some(r) = first {
                warn(
                    layers[*ib].path,
                    format!(
                        "{at}: the texts of layers `{}` ({}) and `{}` overlap by {:.0}x{:.0} px for this record's data; move one, or give them boxes that do not meet",
                        na.name, layers[*ia].path, nb.name, r.w, r.h
                    ),
                );
            }
        }
    }
}

/// A text node's ink at [`SAMPLES`] + 1 moments over its scene, where its motion has put it
/// (None while it does not show); None for a node that is not text.
fn samples(n: &Node, secs: f32) -> Option<Vec<Option<Rect>>> {
    let NodeKind::Text(text) = &n.kind else { return None };
    let inks: Vec<Option<Rect>> = text.variants.iter().map(|(_, b)| ink(b)).collect();
    Some(
        (0..=SAMPLES)
            .map(|k| {
                let t = secs * k as f32 / SAMPLES as f32;
                let state = n.animation.at(t);
                if state.opacity * n.opacity <= 0.01 {
                    return None;
                }
                let r = (*inks.get(text.variant_at(t))?)?;
                Some(moved(r, n.bounds.x + state.dx, n.bounds.y + state.dy))
            })
            .collect(),
    )
}

/// The box the glyphs of a text block cover, relative to its box's corner (glyphs are drawn
/// flipped: font units go up, pixels down).
fn ink(block: &crate::scene::text::TextBlock) -> Option<Rect> {
    block
        .glyphs
        .iter()
        .filter_map(|g| {
            let r = g.path.bounds();
            let (left, right) = (g.x + r.left() * g.scale, g.x + r.right() * g.scale);
            let (top, bottom) = (g.y - r.bottom() * g.scale, g.y - r.top() * g.scale);
            (right > left && bottom > top).then_some(Rect {
                x: left,
                y: top,
                w: right - left,
                h: bottom - top,
            })
        })
        .reduce(union)
}

fn moved(r: Rect, dx: f32, dy: f32) -> Rect {
    Rect { x: r.x + dx, y: r.y + dy, ..r }
}

fn union(a: Rect, b: Rect) -> Rect {
    let (x, y) = (a.x.min(b.x), a.y.min(b.y));
    Rect { x, y, w: (a.x + a.w).max(b.x + b.w) - x, h: (a.y + a.h).max(b.y + b.h) - y }
}

/// Where two boxes meet, if they do by more than [`SLACK`] each way.
fn intersection(a: Rect, b: Rect) -> Option<Rect> {
    let (x, y) = (a.x.max(b.x), a.y.max(b.y));
    let (w, h) = ((a.x + a.w).min(b.x + b.w) - x, (a.y + a.h).min(b.y + b.h) - y);
    (w > SLACK && h > SLACK).then_some(Rect { x, y, w, h })
}

/// Which edges of the canvas a box passes, and by how much ("12 px on the right").
fn outside(r: Rect, (w, h): (f32, f32)) -> Option<String> {
    let sides = [("left", -r.x), ("top", -r.y), ("right", r.x + r.w - w), ("bottom", r.y + r.h - h)];
    let over: Vec<String> = sides
        .iter()
        .filter(|(_, by)| *by > SLACK)
        .map(|(side, by)| format!("{by:.0} px on the {side}"))
        .collect();
    (!over.is_empty()).then(|| over.join(" and "))
}

/// The first text of `nodes` that was cut (or has a line wider than its box): the node's name
/// and how many characters of it show.
fn first_cut(nodes: &[Node]) -> Option<(&str, usize)> {
    nodes.iter().find_map(|node| {
        let NodeKind::Text(t) = &node.kind else { return None };
        let (_, b) = t.variants.iter().find(|(_, b)| b.overflow)?;
        Some((node.name.as_str(), b.lines.join(" / ").trim_end_matches('…').chars().count()))
    })
}

/// A text layer with `fit: shrink` whose text does not fit its box even at its smallest size
/// fails the record, in `check` and `batch` alike: the author asked for the whole text, and a
/// cut amount is a wrong bill. The message says how much of it fits, not what it is (the text
/// is the customer's).
pub fn overflow(
    cx: &Context,
    scene_id: &str,
    path: &str,
    fields: impl FnOnce() -> Vec<String>,
    nodes: &[Node],
) -> Result<(), BindError> {
    match first_cut(nodes) {
        // `{from}` names the fields the text reads: what made it too long. Found only then:
        // it parses the text's template and the vars it reads again.
        Some((name, kept)) => Err(cx.err_from(
            crate::template::ProblemKind::TextOverflow,
            path,
            &fields(),
            &format!(
                "scene `{scene_id}`, layer `{name}`: the text{{from}} does not fit its box even at its smallest size and would be cut after {kept} characters; give it more room, a smaller `min_size`, or more `max_lines`"
            ),
        )),
        None => Ok(()),
    }
}

/// A text layer with `fit: none` cuts text that does not fit with an ellipsis, as documented:
/// the record renders (in `batch` as here), and `check` warns for that record.
pub fn cut(gather: &mut Gather, cx: &Context, scene_id: &str, path: &str, nodes: &[Node]) {
    if let Some((name, kept)) = first_cut(nodes) {
        gather.warnings.push(Warning {
            record: cx.record().id.clone(),
            path: path.to_string(),
            location: cx.err(crate::template::ProblemKind::Other, path, "").location,
            message: format!(
                "scene `{scene_id}`, layer `{name}`: the text does not fit its box and is cut after {kept} characters (with an ellipsis, as `fit: none` does); give it more room or more `max_lines`, or `fit: shrink` to make it smaller instead"
            ),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boxes_meet_and_leave_the_canvas_by_more_than_half_a_pixel() {
        let r = |x, y, w, h| Rect { x, y, w, h };
        assert_eq!(
            intersection(r(0.0, 0.0, 10.0, 10.0), r(5.0, 5.0, 10.0, 10.0)),
            Some(r(5.0, 5.0, 5.0, 5.0))
        );
        assert_eq!(intersection(r(0.0, 0.0, 10.0, 10.0), r(9.8, 0.0, 10.0, 10.0)), None);
        assert_eq!(outside(r(-3.0, 0.0, 10.0, 10.0), (100.0, 100.0)).as_deref(), Some("3 px on the left"));
        assert_eq!(
            outside(r(95.0, 95.0, 10.0, 10.2), (100.0, 100.0)).as_deref(),
            Some("5 px on the right and 5 px on the bottom")
        );
        assert_eq!(outside(r(0.0, 0.0, 100.3, 100.0), (100.0, 100.0)), None);
    }
}
