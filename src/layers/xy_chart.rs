//! `bar_chart` and `line_chart`: categories along the bottom, one or more series of numbers.
//! The two kinds share their keys and their layout; each is a kind of its own.

use schemars::JsonSchema;
use serde::Deserialize;

use super::common::{
    label_color, label_size, value_format, yes, Check, Cx, Drawn, Grow, LabelsSpec, LayerCommon,
};
use super::Kind;
use crate::scene::chart::{self, ChartStyle, SeriesData};
use crate::scene::{Chart, NodeKind, Rect};
use crate::storyboard::{spans, Bindable, Expr, MAX_TEXT_SIZE};
use crate::style::{Rgba, TimeFlow};
use crate::template::{BindError, Compiler, ProblemKind, Value};

/// `bar_chart`: bars per category, growing from the zero line.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct BarChart(ChartLayer);

/// `line_chart`: a line per series, drawn on from left to right.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct LineChart(ChartLayer);

impl Kind for BarChart {
    fn validate(&self, c: &LayerCommon, check: &mut Check<'_, '_>) {
        self.0.validate(c, check, "bar_chart");
    }
    fn compile(&mut self, c: &mut Compiler, lp: &str) {
        self.0.compile(c, lp);
    }
    fn bind(&self, cx: &Cx) -> Result<Drawn, BindError> {
        self.0.bind(cx, false)
    }
}

impl Kind for LineChart {
    fn validate(&self, c: &LayerCommon, check: &mut Check<'_, '_>) {
        self.0.validate(c, check, "line_chart");
    }
    fn compile(&mut self, c: &mut Compiler, lp: &str) {
        self.0.compile(c, lp);
    }
    fn bind(&self, cx: &Cx) -> Result<Drawn, BindError> {
        self.0.bind(cx, true)
    }
}

/// A bar chart (`bar_chart`) or a line chart (`line_chart`): categories along the bottom, one
/// or more series of numbers.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChartLayer {
    /// Category labels: an expression giving a list (`usage.months`) or a literal list.
    pub labels: LabelsSpec,
    /// The series: `{ values: EXPRESSION, color?, label?, show_values? }` each.
    pub series: Vec<SeriesSpec>,
    /// Template for the label above each bar (or the highlighted point); sees `value`.
    /// Empty string: no value labels.
    #[serde(default = "value_format")]
    pub value_format: Bindable<String>,
    /// Draw a value axis: grid lines at rounded ticks (1, 2 or 5 times a power of ten), labelled
    /// with `tick_format` on the left.
    #[serde(default)]
    pub axis: bool,
    /// About how many ticks the axis has.
    #[serde(default = "five")]
    pub ticks: usize,
    /// Template for tick labels; sees `value`.
    #[serde(default = "tick_format")]
    pub tick_format: Bindable<String>,
    /// Colour of the axis' grid lines.
    #[serde(default = "grid_color")]
    pub grid_color: Bindable<Rgba>,
    /// Line charts: the point to emphasise (a dot and its value label), an expression giving an
    /// index; negative counts from the end (`-1`: the latest).
    #[serde(default)]
    pub highlight: Option<Expr>,
    /// Line charts: fill the area under each line with a faint wash of its colour.
    #[serde(default)]
    pub area: bool,
    /// Line charts: stroke width in pixels.
    #[serde(default = "line_width")]
    pub line_width: f32,
    /// Font (a name from `fonts:`) of labels, ticks and legend; default: the first font.
    #[serde(default)]
    pub font: Option<String>,
    /// Size of labels, ticks and legend, in pixels.
    #[serde(default = "label_size")]
    pub label_size: f32,
    /// Size of the value labels (over the bars, at the highlighted point); default `label_size`.
    #[serde(default)]
    pub value_label_size: Option<f32>,
    /// Size of the category labels along the bottom; default `label_size`.
    #[serde(default)]
    pub category_label_size: Option<f32>,
    /// Bar charts: `with_bars` (default) fades each value label in as its bar grows; `always`
    /// shows every value label from the start, where its grown bar will end.
    #[serde(default)]
    pub value_labels: ValueLabels,
    /// Draw the line values grow from (`false`: none).
    #[serde(default = "yes")]
    pub zero_line: bool,
    /// Colour of labels, ticks and legend.
    #[serde(default = "label_color")]
    pub label_color: Bindable<Rgba>,
    /// Fraction of each category's slot left empty between groups.
    #[serde(default = "bar_gap")]
    pub gap: f32,
    /// Bars: corner radius of the end away from zero, in pixels.
    #[serde(default = "corner")]
    pub radius: f32,
    /// Bars grow from the zero line category after category; lines draw on from left to right.
    #[serde(default)]
    pub grow: Option<Grow>,
    /// Show a legend when there is more than one series.
    #[serde(default = "yes")]
    pub legend: bool,
    /// `reading`: the categories (months) run in the reader's direction, from the right for a
    /// record whose locale is written right to left; `left_to_right` (default): as written.
    #[serde(default)]
    pub time_flows: TimeFlow,
}

/// When a bar's value label shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ValueLabels {
    /// Fading in as its bar grows.
    #[default]
    WithBars,
    /// From the start, at the end of the grown bar.
    Always,
}

fn tick_format() -> Bindable<String> {
    Bindable::new("{{ value | number }}")
}
fn grid_color() -> Bindable<Rgba> {
    Bindable::new("#ffffff26")
}
fn five() -> usize {
    5
}
fn line_width() -> f32 {
    3.0
}
fn bar_gap() -> f32 {
    0.3
}
fn corner() -> f32 {
    4.0
}

/// One series of a chart.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SeriesSpec {
    /// Expression giving a list of numbers, e.g. `usage.kwh`.
    pub values: Expr,
    /// The series' name in the legend; may hold bindings.
    #[serde(default)]
    pub label: Option<Bindable<String>>,
    /// Default: the theme's palette, in series order.
    #[serde(default)]
    pub color: Option<Bindable<Rgba>>,
    /// Draw the value above each bar (formatted by the chart's `value_format`).
    #[serde(default = "yes")]
    pub show_values: bool,
}

impl ChartLayer {
    fn validate(&self, c: &LayerCommon, check: &mut Check<'_, '_>, kind: &str) {
        let ch = self;
        if c.width.is_none() || c.height.is_none() {
            check.layer_error(format!("a {kind} layer needs `width` and `height`"), None);
        }
        if ch.series.is_empty() {
            check.error("series", "a chart needs at least one series");
        }
        check.font_key("font", ch.font.as_deref());
        check.positive("label_size", ch.label_size, MAX_TEXT_SIZE);
        for (key, size) in
            [("value_label_size", ch.value_label_size), ("category_label_size", ch.category_label_size)]
        {
            if let Some(size) = size {
                check.positive(key, size, MAX_TEXT_SIZE);
            }
        }
        check.positive("line_width", ch.line_width, 100.0);
        check.color_key("label_color", &ch.label_color);
        check.color_key("grid_color", &ch.grid_color);
        for (i, s) in ch.series.iter().enumerate() {
            if let Some(color) = &s.color {
                let path = spans::join_key(&spans::join_index(&check.key("series"), i), "color");
                check.color(&path, color);
            }
        }
        if !(0.0..0.95).contains(&ch.gap) {
            check.rep.error(
                &check.key("gap"),
                format!("gap must be between 0 and 0.95, but is {}", ch.gap),
                None,
            );
        }
        if !(2..=12).contains(&ch.ticks) {
            check.rep.error(
                &check.key("ticks"),
                format!("ticks must be between 2 and 12, but is {}", ch.ticks),
                None,
            );
        }
        if kind == "line_chart" && ch.value_labels == ValueLabels::Always {
            check.rep.error(
                &check.key("value_labels"),
                "`value_labels: always` is for bar charts (a line chart labels its highlighted point once the line reaches it)",
                Some("use `type: bar_chart`, or remove the key".into()),
            );
        }
        if kind == "bar_chart" {
            for key in ["highlight", "area"] {
                let set = if key == "area" { ch.area } else { ch.highlight.is_some() };
                if set {
                    check.rep.error(
                        &check.key(key),
                        format!("`{key}` is for line charts"),
                        Some("use `type: line_chart`, or remove the key".into()),
                    );
                }
            }
        }
    }

    fn compile(&mut self, c: &mut Compiler, lp: &str) {
        self.labels.compile(c, lp);
        c.template(&mut self.value_format, spans::join_key(lp, "value_format"));
        c.template(&mut self.tick_format, spans::join_key(lp, "tick_format"));
        c.template(&mut self.label_color, spans::join_key(lp, "label_color"));
        c.template(&mut self.grid_color, spans::join_key(lp, "grid_color"));
        c.expr_opt(&mut self.highlight, spans::join_key(lp, "highlight"));
        for (i, s) in self.series.iter_mut().enumerate() {
            let p = spans::join_index(&spans::join_key(lp, "series"), i);
            c.expr(&mut s.values, spans::join_key(&p, "values"));
            c.template_opt(&mut s.color, spans::join_key(&p, "color"));
            c.template_opt(&mut s.label, spans::join_key(&p, "label"));
        }
    }

    fn bind(&self, cx: &Cx, lines: bool) -> Result<Drawn, BindError> {
        let (w, h) = cx.size();
        let chart = xy_chart(cx, self, lines, Rect { x: 0.0, y: 0.0, w, h })?;
        Ok(Drawn::one(NodeKind::Chart(chart), w, h))
    }
}

/// Turns a chart's time axis to run from the right: the labels reversed, each series with them.
/// A series shorter than the labels (its last months not in yet) starts with gaps (NaN, which
/// draw no bar and no point) so that each value stays under its label. The highlight, an index
/// into the drawn points, is counted from the other end.
fn read_from_the_right(
    labels: &mut [String],
    series: &mut [SeriesData],
    highlight: Option<(usize, Option<String>)>,
) -> Option<(usize, Option<String>)> {
    let n_first = series.first().map_or(0, |s| s.values.len());
    labels.reverse();
    for s in series.iter_mut() {
        let pad = labels.len().saturating_sub(s.values.len());
        s.values.reverse();
        s.values.splice(0..0, std::iter::repeat_n(f64::NAN, pad));
        if !s.labels.is_empty() {
            s.labels.reverse();
            s.labels.splice(0..0, std::iter::repeat_n(String::new(), pad));
        }
    }
    highlight.map(|(i, l)| (n_first - 1 - i, l))
}

/// Most points one series may have when the chart has no labels: more cannot be told apart
/// on a phone's screen, so a longer list is a wrong record, not a chart.
pub const MAX_POINTS: usize = 120;

/// A series has at most one value per label (or, without labels, at most [`MAX_POINTS`]):
/// 1,000 values against 12 months would draw a meaningless chart and be marked ok.
///
/// Labels that come from the record (`labels: usage.months`) are that record's categories:
/// every series must then have exactly one value per label. 5 values against 6 months would
/// put each value under the wrong month and highlight the wrong one: a wrong bill, so the
/// record fails, in `check` and in `batch` alike. A literal list (`labels: [Jan, …, Dec]`) may
/// have more labels than values: a year to date.
fn fits_its_labels(
    cx: &Cx,
    values: &Expr,
    n: usize,
    labels: (usize, Option<&Expr>),
    series: usize,
) -> Result<(), BindError> {
    let (labels, from_record) = labels;
    if let Some(l) = from_record.filter(|_| n != labels) {
        let message = format!(
            "series {series} (`{}`) has {n} values but `labels` (`{}`) has {labels}; each value \
             belongs under one label, so the two lists must be as long as each other",
            values.source(),
            l.source()
        );
        return Err(cx.t.err(ProblemKind::WrongValue, values.path(), message).in_field(values.source()));
    }
    let message = if labels > 0 && n > labels {
        format!(
            "series {series} (`{}`) has {n} values for {labels} labels; a chart takes at most one value per label",
            values.source()
        )
    } else if labels == 0 && n > MAX_POINTS {
        format!(
            "series {series} (`{}`) has {n} values; a chart draws at most {MAX_POINTS} points",
            values.source()
        )
    } else {
        return Ok(());
    };
    Err(cx.t.err(ProblemKind::WrongValue, values.path(), message).in_field(values.source()))
}

fn xy_chart(cx: &Cx, spec: &ChartLayer, lines: bool, bounds: Rect) -> Result<Chart, BindError> {
    let font = cx.font(spec.font.as_deref())?;
    let mut labels = spec.labels.bind(cx)?;
    let mut series = Vec::new();
    for (i, s) in spec.series.iter().enumerate() {
        let values = cx.t.numbers(&s.values)?;
        let from_record = match &spec.labels {
            LabelsSpec::Expr(e) => Some(e),
            LabelsSpec::List(_) => None,
        };
        fits_its_labels(cx, &s.values, values.len(), (labels.len(), from_record), i)?;
        let mut value_labels = Vec::new();
        // Line charts label only the highlighted point.
        if s.show_values && !spec.value_format.source().is_empty() && !lines {
            for v in &values {
                value_labels.push(cx.t.text_with(&spec.value_format, &[("value", Value::from(*v))])?);
            }
        }
        let name = match &s.label {
            Some(l) => Some(cx.t.text(l)?),
            None => None,
        };
        let color = match &s.color {
            Some(c) => cx.t.value(c)?,
            None => cx.palette(i),
        };
        series.push(SeriesData { values, labels: value_labels, name, color });
    }
    let axis = if spec.axis {
        let all = series.iter().flat_map(|s| s.values.iter().copied()).filter(|v| v.is_finite());
        let (lo, hi) = all.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)));
        let (lo, hi) = if lo > hi { (0.0, 0.0) } else { (lo, hi) };
        // Bars are measured from zero, so their axis includes it.
        let ticks = if lines {
            chart::nice_ticks(lo, hi, spec.ticks)
        } else {
            chart::nice_ticks(lo.min(0.0), hi.max(0.0), spec.ticks)
        };
        let tick_labels = ticks
            .values
            .iter()
            .map(|v| {
                cx.t.text_with(
                    &spec.tick_format,
                    &[("value", Value::from(*v)), ("decimals", Value::from(ticks.decimals))],
                )
            })
            .collect::<Result<Vec<_>, _>>()?;
        Some((ticks, tick_labels, cx.t.value(&spec.grid_color)?))
    } else {
        None
    };
    let mut highlight = match &spec.highlight {
        Some(expr) => {
            let (path, src) = (expr.path(), expr.source());
            let v = cx.t.eval(expr)?;
            let n = series.first().map_or(0, |s| s.values.len()) as i64;
            let i = v.as_i64().ok_or_else(|| {
                let gave = if v.is_undefined() {
                    // `usage.kwh | last` on an empty list, or a var made from a missing field.
                    "no value for this record (is the list it reads empty, or a field missing?)".to_string()
                } else {
                    cx.t.shape(&v)
                };
                cx.t.err(
                    ProblemKind::WrongValue,
                    path,
                    format!("`highlight` must be a whole number (an index), but `{src}` gave {gave}"),
                )
            })?;
            let idx = if i < 0 { n + i } else { i };
            if n == 0 {
                None
            } else if !(0..n).contains(&idx) {
                return Err(cx.t.err(
                    ProblemKind::WrongValue,
                    path,
                    format!(
                        "`highlight` is {i} but the series has {n} values (use 0..{} or -1 for the last)",
                        n - 1
                    ),
                ));
            } else {
                let value = series[0].values[idx as usize];
                let label = if spec.value_format.source().is_empty() {
                    None
                } else {
                    Some(cx.t.text_with(&spec.value_format, &[("value", Value::from(value))])?)
                };
                Some((idx as usize, label))
            }
        }
        None => None,
    };
    if spec.time_flows == TimeFlow::Reading && crate::scene::text::locale_is_rtl(&cx.t.locale()) {
        highlight = read_from_the_right(&mut labels, &mut series, highlight);
    }
    let style = ChartStyle {
        label_size: spec.label_size,
        value_label_size: spec.value_label_size.unwrap_or(spec.label_size),
        category_label_size: spec.category_label_size.unwrap_or(spec.label_size),
        value_labels_always: spec.value_labels == ValueLabels::Always,
        zero_line: spec.zero_line,
        label_color: cx.t.value(&spec.label_color)?,
        gap: spec.gap,
        radius: spec.radius,
        legend: spec.legend,
        grow: spec.grow.as_ref().map(Grow::timing),
        axis,
        lines: lines.then_some((spec.line_width, spec.area)),
        highlight,
    };
    Ok(chart::layout(font, bounds, &labels, &series, &style))
}

#[cfg(test)]
mod tests {
    use super::super::testing::{node, problems};
    use crate::scene::NodeKind;
    use crate::template::ProblemKind;
    use serde_json::json;

    #[test]
    fn read_from_the_right_keeps_each_value_under_its_label() {
        use crate::scene::chart::SeriesData;
        use crate::style::Rgba;
        let mut labels: Vec<String> = ["Jan", "Feb", "Mar", "Apr"].map(String::from).into();
        let mut series = vec![SeriesData {
            values: vec![1.0, 2.0, 3.0],
            labels: vec!["1".into(), "2".into(), "3".into()],
            name: None,
            color: Rgba::rgb(0, 0, 0),
        }];
        // The highlighted point: the last value (March), index 2 of the drawn points.
        let h = super::read_from_the_right(&mut labels, &mut series, Some((2, Some("3".into()))));
        assert_eq!(labels, ["Apr", "Mar", "Feb", "Jan"]);
        assert!(series[0].values[0].is_nan(), "April has no value yet: a gap");
        assert_eq!(series[0].values[1..], [3.0, 2.0, 1.0]);
        assert_eq!(series[0].labels, ["", "3", "2", "1"]);
        // March is now the first drawn point (the gap draws none).
        assert_eq!(h, Some((0, Some("3".into()))));
    }

    #[test]
    fn bars_take_their_values_and_labels_from_the_record() {
        let layer = "{ type: bar_chart, labels: months, series: [{ values: kwh }], width: 300, height: 200 }";
        let NodeKind::Chart(c) = node(layer, json!({"months": ["a", "b", "c"], "kwh": [1, 2, -3]})).unwrap()
        else {
            panic!()
        };
        assert_eq!(c.bars.len(), 3);
        assert!(c.bars[2].down, "a negative value grows down");
        let e = node(layer, json!({"months": ["a"], "kwh": "many"})).unwrap_err();
        assert_eq!(e.kind, ProblemKind::WrongValue);
        assert!(e.message.contains("the values of `kwh` must be a list"), "{e}");
        assert_eq!(e.field.as_deref(), Some("kwh"));
        let e = node(layer, json!({"months": ["a", "b"], "kwh": [1, 2, 3]})).unwrap_err();
        assert!(e.message.contains("has 3 values but `labels` (`months`) has 2"), "{e}");
        // Labels from the record are its categories: fewer values would sit under the wrong ones.
        let e = node(layer, json!({"months": ["a", "b", "c"], "kwh": [1, 2]})).unwrap_err();
        assert!(e.message.contains("series 0 (`kwh`) has 2 values but `labels` (`months`) has 3"), "{e}");
        // A literal list may run ahead of the data (a year to date), but not behind it.
        let literal = "{ type: bar_chart, labels: [Jan, Feb, Mar], series: [{ values: kwh }], width: 300, height: 200 }";
        assert!(node(literal, json!({"kwh": [1, 2]})).is_ok());
        let e = node(literal, json!({"kwh": [1, 2, 3, 4]})).unwrap_err();
        assert!(e.message.contains("has 4 values for 3 labels"), "{e}");
        let e = node(
            "{ type: bar_chart, labels: [], series: [{ values: kwh }], width: 300, height: 200 }",
            json!({ "kwh": vec![1; 1000] }),
        );
        assert!(e.unwrap_err().message.contains("at most 120 points"));
    }

    #[test]
    fn line_only_keys_are_refused_on_bars_and_highlights_are_checked() {
        let p = problems(
            "{ type: bar_chart, labels: m, series: [{ values: v }], width: 1, height: 1, area: true }",
        );
        assert!(p.contains("`area` is for line charts"), "{p}");
        let layer = "{ type: line_chart, labels: m, series: [{ values: v }], highlight: \"5\", width: 300, height: 200 }";
        let e = node(layer, json!({"m": ["a", "b"], "v": [1, 2]})).unwrap_err();
        assert!(e.message.contains("`highlight` is 5 but the series has 2 values"), "{e}");
        let ok = "{ type: line_chart, labels: m, series: [{ values: v }], highlight: \"-1\", width: 300, height: 200 }";
        let NodeKind::Chart(c) = node(ok, json!({"m": ["a", "b"], "v": [1, 2]})).unwrap() else { panic!() };
        assert_eq!(c.lines[0].highlight.as_ref().map(|h| h.0), Some(1));
    }
}
