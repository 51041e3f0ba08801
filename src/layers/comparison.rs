//! `comparison`: a card with a big number (counting up if asked) and, under it, an arrow and
//! the change against a previous value, coloured by whether that is good news.

use std::sync::Arc;

use schemars::JsonSchema;
use serde::Deserialize;

use super::common::{
    ease_out, label_color, label_size, one_second, value_format, white, Check, Cx, Drawn, LayerCommon,
};
use super::Kind;
use crate::scene::chart;
use crate::scene::text::{self, FontChain, TextStyle};
use crate::scene::{Chart, NodeKind, TextBlock, TextNode};
use crate::storyboard::{spans, Bindable, Expr, MAX_TEXT_SIZE};
use crate::style::{Align, Duration, Easing, Rgba};
use crate::template::{BindError, Compiler, ProblemKind, Value};

/// `comparison`: a card with a big number, and under it an arrow and the change against a previous
/// value (up or down, coloured by whether that is good news).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ComparisonLayer {
    /// Expression for the number shown, e.g. `bill.total`.
    pub value: Expr,
    /// Expression for what it is compared with, e.g. `bill.previous_total`.
    pub previous: Expr,
    /// The big number; sees `value`.
    #[serde(default = "value_format")]
    pub format: Bindable<String>,
    /// The change; sees `delta` (value - previous), `change` (the change in percent of the
    /// previous value; 0 when that is 0) and `previous`.
    #[serde(default = "delta_format")]
    pub delta_format: Bindable<String>,
    /// A caption above the number, e.g. `"{{ copy.due }}"`.
    #[serde(default)]
    pub label: Option<Bindable<String>>,
    /// Font of the caption and the change (a name from `fonts:`); default: the first font.
    #[serde(default)]
    pub font: Option<String>,
    /// Font of the big number; default: `font`.
    #[serde(default)]
    pub number_font: Option<String>,
    /// Size of the big number, in pixels.
    #[serde(default = "card_size")]
    pub size: f32,
    /// Colour of the big number.
    #[serde(default = "white")]
    pub color: Bindable<Rgba>,
    /// Size of the caption, in pixels (the change is 1.3 times it).
    #[serde(default = "label_size")]
    pub label_size: f32,
    /// Colour of the caption (and of the level bar when nothing changed).
    #[serde(default = "label_color")]
    pub label_color: Bindable<Rgba>,
    /// Whether a rise is good news (green) or bad news (red, the default: a bill going up).
    #[serde(default)]
    pub good: GoodDirection,
    /// Colour of the arrow and the change when the change is good news.
    #[serde(default = "good_color")]
    pub good_color: Bindable<Rgba>,
    /// Colour of the arrow and the change when the change is bad news.
    #[serde(default = "bad_color")]
    pub bad_color: Bindable<Rgba>,
    /// Counts the number up from `from` (default 0) to the value.
    #[serde(default)]
    pub count_up: Option<CardCount>,
    /// Alignment in the box: left, center, right; `start` or `end` as the card reads.
    #[serde(default)]
    pub align: Align,
}

fn delta_format() -> Bindable<String> {
    Bindable::new("{{ change | percent }}")
}
fn card_size() -> f32 {
    72.0
}
fn good_color() -> Bindable<Rgba> {
    Bindable::new("#66bb6a")
}
fn bad_color() -> Bindable<Rgba> {
    Bindable::new("#ef5350")
}

/// Which way of change is good news.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, serde::Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum GoodDirection {
    Up,
    #[default]
    Down,
}

/// `count_up`: the big number counts up to the value.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CardCount {
    /// The number counting starts from.
    #[serde(default)]
    pub from: f64,
    /// How long the count takes.
    #[serde(default = "one_second")]
    pub duration: Duration,
    /// Wait this long after the scene starts.
    #[serde(default)]
    pub delay: Duration,
    /// The count's easing curve.
    #[serde(default = "ease_out")]
    pub easing: Easing,
}

impl Kind for ComparisonLayer {
    fn validate(&self, _: &LayerCommon, check: &mut Check<'_, '_>) {
        let k = self;
        check.font_key("font", k.font.as_deref());
        check.font_key("number_font", k.number_font.as_deref());
        check.positive("size", k.size, MAX_TEXT_SIZE);
        check.positive("label_size", k.label_size, MAX_TEXT_SIZE);
        for (key, v) in [
            ("color", &k.color),
            ("label_color", &k.label_color),
            ("good_color", &k.good_color),
            ("bad_color", &k.bad_color),
        ] {
            check.color_key(key, v);
        }
    }

    fn compile(&mut self, c: &mut Compiler, lp: &str) {
        c.expr(&mut self.value, spans::join_key(lp, "value"));
        c.expr(&mut self.previous, spans::join_key(lp, "previous"));
        for (key, v) in [("format", &mut self.format), ("delta_format", &mut self.delta_format)] {
            c.template(v, spans::join_key(lp, key));
        }
        for (key, v) in [
            ("color", &mut self.color),
            ("label_color", &mut self.label_color),
            ("good_color", &mut self.good_color),
            ("bad_color", &mut self.bad_color),
        ] {
            c.template(v, spans::join_key(lp, key));
        }
        c.template_opt(&mut self.label, spans::join_key(lp, "label"));
    }

    fn bind(&self, cx: &Cx) -> Result<Drawn, BindError> {
        let (chart, w, h) = card(cx, self, cx.width)?;
        Ok(Drawn::one(NodeKind::Chart(chart), w, cx.height.unwrap_or(h)))
    }
}

fn card(cx: &Cx, spec: &ComparisonLayer, width: Option<f32>) -> Result<(Chart, f32, f32), BindError> {
    let font = cx.font(spec.font.as_deref())?;
    let number_font = cx.font(spec.number_font.as_deref().or(spec.font.as_deref()))?;
    let (value, previous) =
        (cx.t.eval_number(&spec.value, "value")?, cx.t.eval_number(&spec.previous, "previous")?);
    let delta = value - previous;
    // No change ratio against nothing: `change` is 0 when the previous value is 0.
    let change = if previous != 0.0 { 100.0 * delta / previous.abs() } else { 0.0 };
    if !delta.is_finite() || !change.is_finite() {
        let mut fields = cx.t.expr_fields(&spec.value);
        fields.extend(cx.t.expr_fields(&spec.previous));
        fields.dedup();
        return Err(cx.t.err_from(
            ProblemKind::WrongValue,
            spec.value.path(),
            &fields,
            "the change between `value` and `previous`{from} is too large to be a number; are they in range?",
        ));
    }
    let color = cx.t.value(&spec.color)?;
    let label_color = cx.t.value(&spec.label_color)?;
    let rising_is_good = spec.good == GoodDirection::Up;
    let delta_color = if delta == 0.0 {
        label_color
    } else if (delta > 0.0) == rising_is_good {
        cx.t.value(&spec.good_color)?
    } else {
        cx.t.value(&spec.bad_color)?
    };
    let style = |size: f32, color: Rgba| TextStyle::simple(size, color, Align::Left, None);
    // In a box of given width, a line shrinks (down to `least` of its size) to fit `room`;
    // it is then laid out at that size without a box, so the card can align it.
    let fitted_size = |fonts: FontChain, s: &str, size: f32, room: Option<f32>, least: f32| match room {
        Some(w) => {
            let boxed = TextStyle { max_width: Some(w), max_lines: Some(1), ..style(size, color) };
            text::layout_fit(fonts, s, boxed, size * least).size
        }
        None => size,
    };
    let line = |fonts: FontChain, s: &str, size: f32, color: Rgba, room: Option<f32>| {
        Arc::new(text::layout(fonts, s, style(fitted_size(fonts, s, size, room, 0.6), color)))
    };
    let caption = match &spec.label {
        Some(l) => Some(line(font, &cx.t.text(l)?, spec.label_size, label_color, width)),
        None => None,
    };
    let format = |v: f64| cx.t.text_with(&spec.format, &[("value", Value::from(v))]);
    // In a box of given width the number shrinks (to half its size at most) to fit on one
    // line; every counting step uses the size the final value needs, so nothing jumps.
    let final_text = format(value)?;
    let size = fitted_size(number_font, &final_text, spec.size, width, 0.5);
    let lay = |s: &str| Arc::new(text::layout(number_font, s, style(size, color)));
    let number = |v: f64| -> Result<Arc<TextBlock>, BindError> { Ok(lay(&format(v)?)) };
    let variants = match &spec.count_up {
        None => vec![(0.0, lay(&final_text))],
        Some(cu) => {
            let (delay, duration) = (cu.delay.secs() as f32, cu.duration.secs() as f32);
            let steps = (duration * cx.fps as f32).ceil().max(1.0) as u32;
            let mut out: Vec<(f32, Arc<TextBlock>)> = Vec::new();
            for i in 0..=steps {
                if cx.t.check_only() && i != 0 && i != steps {
                    continue;
                }
                let p = i as f32 / steps as f32;
                // The last step shows the exact value (already formatted above).
                let block = if i == steps {
                    lay(&final_text)
                } else {
                    number(cu.from + (value - cu.from) * cu.easing.apply(p) as f64)?
                };
                if out.last().is_none_or(|(_, b)| b.lines != block.lines) {
                    out.push((if i == 0 { 0.0 } else { delay + p * duration }, block));
                }
            }
            out
        }
    };
    let delta_text = cx.t.text_with(
        &spec.delta_format,
        &[
            ("delta", Value::from(delta)),
            ("change", Value::from(change)),
            ("previous", Value::from(previous)),
        ],
    )?;
    // The arrow before the change takes 1.4 times the text's size.
    let room = width.map(|w| (w - spec.label_size * 1.3 * 0.9 * 1.4).max(1.0));
    let delta_block = line(font, &delta_text, spec.label_size * 1.3, delta_color, room);
    let data = chart::CardData {
        caption,
        number: TextNode { variants },
        delta: delta_block,
        direction: if delta > 0.0 {
            1
        } else if delta < 0.0 {
            -1
        } else {
            0
        },
        delta_color,
    };
    let align = if cx.mirrored { spec.align.mirrored() } else { spec.align };
    Ok(chart::layout_card(width.unwrap_or(0.0), align, data))
}

#[cfg(test)]
mod tests {
    use super::super::testing::{node, problems};
    use crate::scene::NodeKind;
    use serde_json::json;

    #[test]
    fn a_rise_of_a_bill_is_bad_news_and_the_change_is_in_percent() {
        let layer =
            "{ type: comparison, value: now, previous: before, delta_format: \"{{ change | number(0) }}\" }";
        let NodeKind::Chart(c) = node(layer, json!({"now": 120, "before": 100})).unwrap() else { panic!() };
        let counter = &c.counters[0];
        assert_eq!(counter.text.at(9.0).lines, ["120"]);
        assert!(c.labels.iter().any(|l| l.block.lines == ["20"]), "the change is 20%");
        assert!(problems("{ type: comparison, value: a, previous: b, good_color: nope }").contains("colour"));
    }
}
