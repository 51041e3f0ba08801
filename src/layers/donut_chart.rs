//! `donut_chart`: shares of a total (the bill split into energy, network and taxes), with a
//! legend of labels and percentages; `hole: 0` draws a pie.

use schemars::JsonSchema;
use serde::Deserialize;

use super::common::{label_color, label_size, Check, Cx, Drawn, Grow, LabelsSpec, LayerCommon};
use super::Kind;
use crate::scene::chart;
use crate::scene::{Chart, NodeKind, Rect};
use crate::storyboard::{spans, Bindable, Expr, MAX_TEXT_SIZE};
use crate::style::Rgba;
use crate::template::{BindError, Compiler, ProblemKind, Value};

/// `donut_chart`: a donut (or, with `hole: 0`, a pie): shares of a total, e.g. the bill split into energy,
/// network and taxes, with a legend of labels and percentages.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DonutLayer {
    /// Slice names: an expression giving a list, or a literal list (may hold `{{ }}`).
    pub labels: LabelsSpec,
    /// Expression giving a list of numbers, one per label.
    pub values: Expr,
    /// Slice colours; default: the theme's palette.
    #[serde(default)]
    pub colors: Option<Vec<Bindable<Rgba>>>,
    /// The hole's diameter as a fraction of the ring's; 0 draws a pie.
    #[serde(default = "donut_hole")]
    pub hole: f32,
    /// Each legend line; sees `label`, `value` and `percent` (its share of the total, in percent).
    #[serde(default = "slice_format")]
    pub label_format: Bindable<String>,
    /// Text in the hole, e.g. `"{{ bill.total | currency }}"`.
    #[serde(default)]
    pub center: Option<Bindable<String>>,
    /// Size of the text in the hole, in pixels.
    #[serde(default = "center_size")]
    pub center_size: f32,
    /// Font of the legend and the centre (a name from `fonts:`); default: the first font.
    #[serde(default)]
    pub font: Option<String>,
    /// Size of the legend's text, in pixels.
    #[serde(default = "label_size")]
    pub label_size: f32,
    /// Colour of the legend's text.
    #[serde(default = "label_color")]
    pub label_color: Bindable<Rgba>,
    /// Sweep-in: the slices appear clockwise from 12 o'clock; `stagger` is per slice.
    #[serde(default)]
    pub grow: Option<Grow>,
}

fn donut_hole() -> f32 {
    0.6
}
fn slice_format() -> Bindable<String> {
    Bindable::new("{{ label }}  {{ percent | percent }}")
}
fn center_size() -> f32 {
    32.0
}

impl Kind for DonutLayer {
    fn validate(&self, c: &LayerCommon, check: &mut Check<'_, '_>) {
        let d = self;
        check.needs_box(c, "a donut_chart layer needs `width` and `height`");
        check.font_key("font", d.font.as_deref());
        check.positive("label_size", d.label_size, MAX_TEXT_SIZE);
        check.positive("center_size", d.center_size, MAX_TEXT_SIZE);
        check.color_key("label_color", &d.label_color);
        if d.colors.as_ref().is_some_and(Vec::is_empty) {
            check.rep.error(
                &check.key("colors"),
                "`colors` is empty; list at least one colour or leave it out to use the theme's palette",
                None,
            );
        }
        for (i, color) in d.colors.iter().flatten().enumerate() {
            let path = spans::join_index(&check.key("colors"), i);
            check.color(&path, color);
        }
        if !(0.0..0.95).contains(&d.hole) {
            check.rep.error(
                &check.key("hole"),
                format!("hole must be between 0 (a pie) and 0.95, but is {}", d.hole),
                None,
            );
        }
    }

    fn compile(&mut self, c: &mut Compiler, lp: &str) {
        self.labels.compile(c, lp);
        c.expr(&mut self.values, spans::join_key(lp, "values"));
        c.template(&mut self.label_format, spans::join_key(lp, "label_format"));
        c.template(&mut self.label_color, spans::join_key(lp, "label_color"));
        c.template_opt(&mut self.center, spans::join_key(lp, "center"));
        for (i, col) in self.colors.iter_mut().flatten().enumerate() {
            c.template(col, spans::join_index(&spans::join_key(lp, "colors"), i));
        }
    }

    fn bind(&self, cx: &Cx) -> Result<Drawn, BindError> {
        let (w, h) = cx.size();
        let chart = donut(cx, self, Rect { x: 0.0, y: 0.0, w, h })?;
        Ok(Drawn::one(NodeKind::Chart(chart), w, h))
    }
}

fn donut(cx: &Cx, spec: &DonutLayer, bounds: Rect) -> Result<Chart, BindError> {
    let font = cx.font(spec.font.as_deref())?;
    let labels = spec.labels.bind(cx)?;
    let values = cx.t.numbers(&spec.values)?;
    if values.len() != labels.len() {
        return Err(cx.t.err(
            ProblemKind::WrongValue,
            spec.values.path(),
            format!(
                "the donut has {} labels but {} values; give one value per label",
                labels.len(),
                values.len()
            ),
        ));
    }
    let colors = match &spec.colors {
        Some(cs) => cs.iter().map(|c| cx.t.value(c)).collect::<Result<Vec<_>, _>>()?,
        None => (0..values.len().max(1)).map(|i| cx.palette(i)).collect(),
    };
    let total: f64 = values.iter().filter(|v| v.is_finite() && **v > 0.0).sum();
    let legend = labels
        .iter()
        .zip(&values)
        .map(|(l, v)| {
            let percent = if total > 0.0 && *v > 0.0 { 100.0 * v / total } else { 0.0 };
            cx.t.text_with(
                &spec.label_format,
                &[
                    ("label", Value::from(l.as_str())),
                    ("value", Value::from(*v)),
                    ("percent", Value::from(percent)),
                ],
            )
        })
        .collect::<Result<Vec<_>, _>>()?;
    let center = match &spec.center {
        Some(c) => Some(cx.t.text(c)?),
        None => None,
    };
    let label_color = cx.t.value(&spec.label_color)?;
    let style = chart::DonutStyle {
        hole: spec.hole,
        label_size: spec.label_size,
        label_color,
        center_size: spec.center_size,
        center_color: Rgba { a: 255, ..label_color },
        grow: spec.grow.as_ref().map(Grow::timing),
    };
    let data =
        chart::DonutData { values: &values, colors: &colors, legend: &legend, center: center.as_deref() };
    Ok(chart::layout_donut(font, bounds, &data, &style))
}

#[cfg(test)]
mod tests {
    use super::super::testing::{node, problems};
    use crate::scene::NodeKind;
    use serde_json::json;

    #[test]
    fn a_donut_needs_one_value_per_label() {
        let layer = "{ type: donut_chart, labels: [Energy, Tax], values: v, width: 300, height: 200 }";
        let NodeKind::Chart(c) = node(layer, json!({"v": [3, 1]})).unwrap() else { panic!() };
        assert_eq!(c.slices.len(), 2);
        let e = node(layer, json!({"v": [3, 1, 2]})).unwrap_err();
        assert!(e.message.contains("the donut has 2 labels but 3 values"), "{e}");
        assert!(problems("{ type: donut_chart, labels: l, values: v, width: 1, height: 1, hole: 2 }")
            .contains("hole must be between 0"));
    }
}
