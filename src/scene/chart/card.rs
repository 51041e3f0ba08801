//! Comparison cards: a caption, a big (counting) number, and the change with its arrow.

use std::sync::Arc;

use super::{Chart, Counter, Label, Polygon};
use crate::scene::text::TextBlock;
use crate::scene::{Rgba, TextNode};
use crate::style::Align;

/// The parts of a comparison card, formatted.
pub struct CardData {
    pub caption: Option<Arc<TextBlock>>,
    /// The big number (several variants when it counts up).
    pub number: TextNode,
    pub delta: Arc<TextBlock>,
    /// Above zero: arrow up; below: down; zero: a level bar.
    pub direction: i8,
    pub delta_color: Rgba,
}

/// Stacks a card: caption, big number, then arrow and change on one row, aligned in the box.
pub fn layout_card(width: f32, align: Align, data: CardData) -> (Chart, f32, f32) {
    let mut chart = Chart::default();
    let number_w = data.number.variants.iter().map(|v| v.1.width).fold(0.0f32, f32::max);
    let number_h = data.number.variants.iter().map(|v| v.1.height).fold(0.0f32, f32::max);
    let arrow = data.delta.size * 0.9;
    let row_w = arrow * 1.4 + data.delta.width;
    let caption_w = data.caption.as_ref().map_or(0.0, |c| c.width);
    let w = if width > 0.0 { width } else { number_w.max(row_w).max(caption_w) };
    // `start`/`end` follow the number's direction (digits alone read left to right; a
    // right-to-left caption or currency turns it).
    let rtl =
        data.number.variants.first().is_some_and(|v| v.1.rtl) || data.caption.as_ref().is_some_and(|c| c.rtl);
    let x_for = |inner: f32| align_in(w, inner, align.resolve(rtl));
    let mut y = 0.0;
    if let Some(c) = data.caption {
        chart.labels.push(Label { x: x_for(c.width), y, block: c.clone() });
        y += c.height + c.size * 0.2;
    }
    chart.counters.push(Counter { x: 0.0, y, width: w, align, text: data.number });
    y += number_h + data.delta.size * 0.2;
    let x = x_for(row_w);
    let (ay, ah) = (y + (data.delta.height - arrow) / 2.0, arrow);
    let shape = match data.direction {
        d if d > 0 => vec![(x + arrow / 2.0, ay), (x + arrow, ay + ah), (x, ay + ah)],
        d if d < 0 => vec![(x, ay), (x + arrow, ay), (x + arrow / 2.0, ay + ah)],
        _ => vec![
            (x, ay + ah * 0.4),
            (x + arrow, ay + ah * 0.4),
            (x + arrow, ay + ah * 0.6),
            (x, ay + ah * 0.6),
        ],
    };
    chart.shapes.push(Polygon { points: shape, color: data.delta_color });
    chart.labels.push(Label { x: x + arrow * 1.4, y, block: data.delta.clone() });
    y += data.delta.height;
    (chart, w, y)
}

/// Where a text variant of width `inner` starts in a box of width `w`.
/// `start` and `end` as the block's first paragraph reads are resolved before (see
/// [`Align::resolve`]); left otherwise.
pub fn align_in(w: f32, inner: f32, align: Align) -> f32 {
    match align {
        Align::Left | Align::Start | Align::End => 0.0,
        Align::Center => (w - inner) / 2.0,
        Align::Right => w - inner,
    }
}
