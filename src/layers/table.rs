//! `table`: an itemised bill. Rows of a label and an amount, bound to a list in the record
//! (energy, network, taxes, credits), amounts right-aligned in the locale's number format so
//! their decimals line up, credits (negative amounts) in their own colour, an optional total
//! row under a rule, optional zebra rows, and a grow-in row after row.
//!
//! ```yaml
//! - type: table
//!   x: 80
//!   y: 200
//!   width: 640
//!   rows: bill.items                  # a list of rows
//!   label: "{{ row.label }}"          # each row's label (sees `row`)
//!   amount: row.amount                # each row's amount (sees `row`), a number
//!   format: "{{ value | currency }}"  # an amount as shown (sees `value`)
//!   total: { label: "Total", value: bill.total }   # value: default the sum of the amounts
//!   zebra: "#ffffff14"
//!   grow: { stagger: 150ms }
//! ```
//!
//! Each row is drawn as scene nodes of its own (its zebra band, its label, its amount), so each
//! can have its own grow-in on top of the layer's motion.

use std::sync::Arc;

use schemars::JsonSchema;
use serde::Deserialize;

use super::common::{label_color, white, Check, Cx, Drawn, Grow, LayerCommon, Part};
use super::Kind;
use crate::scene::text::{self, FontChain, TextStyle};
use crate::scene::{Animation, NodeKind, Paint, Rect, TextBlock, TextNode, Track};
use crate::storyboard::{spans, Bindable, Expr, MAX_TEXT_SIZE};
use crate::style::{Align, Rgba};
use crate::template::{BindError, Compiler, ProblemKind, Value};

/// More rows than this are not an itemised bill a customer can read in a video.
pub const MAX_ROWS: usize = 30;

/// `table`: an itemised bill, a row per item of a list in the record, amounts aligned on their decimals.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TableLayer {
    /// Expression giving the list of rows, e.g. `bill.items`.
    pub rows: Expr,
    /// Each row's label; sees `row`.
    pub label: Bindable<String>,
    /// Expression for each row's amount; sees `row`.
    pub amount: Expr,
    /// An amount as shown; sees `value`.
    #[serde(default = "amount_format")]
    pub format: Bindable<String>,
    /// A total row under a rule.
    #[serde(default)]
    pub total: Option<TotalRow>,
    /// Font of the rows (a name from `fonts:`); default: the first font.
    #[serde(default)]
    pub font: Option<String>,
    /// Font of the total row; default: `bold` when the storyboard has one, else `font`.
    #[serde(default)]
    pub total_font: Option<String>,
    /// Text size in pixels.
    #[serde(default = "table_size")]
    pub size: f32,
    /// Text colour.
    #[serde(default = "white")]
    pub color: Bindable<Rgba>,
    /// Colour of negative amounts (credits).
    #[serde(default = "credit_color")]
    pub credit_color: Bindable<Rgba>,
    /// Height of a row; default 1.8 times `size`.
    #[serde(default)]
    pub row_height: Option<f32>,
    /// Fill of every other row (the second, the fourth…); none: no bands.
    #[serde(default)]
    pub zebra: Option<Bindable<Rgba>>,
    /// The rule above the total row.
    #[serde(default = "label_color")]
    pub rule_color: Bindable<Rgba>,
    /// Rows fade and slide in one after another; the total row comes last.
    #[serde(default)]
    pub grow: Option<Grow>,
}

/// The total row: its label and its value (default: the sum of the amounts).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TotalRow {
    /// The total row's label; may hold bindings.
    pub label: Bindable<String>,
    /// Expression for the total; default: the sum of the amounts.
    #[serde(default)]
    pub value: Option<Expr>,
}

fn amount_format() -> Bindable<String> {
    Bindable::new("{{ value | number(2) }}")
}
fn table_size() -> f32 {
    28.0
}
fn credit_color() -> Bindable<Rgba> {
    Bindable::new("#81c784")
}

/// Space between the box's edges and the text, as a fraction of the text size.
const PAD: f32 = 0.5;

impl Kind for TableLayer {
    fn validate(&self, c: &LayerCommon, check: &mut Check<'_, '_>) {
        if c.width.is_none() {
            check
                .layer_error("a table layer needs `width`", Some("e.g. `width: 640` or `width: 50%`".into()));
        }
        check.positive("size", self.size, MAX_TEXT_SIZE);
        if let Some(h) = self.row_height {
            check.positive("row_height", h, 4.0 * MAX_TEXT_SIZE);
        }
        check.font_key("font", self.font.as_deref());
        check.font_key("total_font", self.total_font.as_deref());
        check.color_key("color", &self.color);
        check.color_key("credit_color", &self.credit_color);
        check.color_key("rule_color", &self.rule_color);
        if let Some(z) = &self.zebra {
            check.color_key("zebra", z);
        }
    }

    fn compile(&mut self, c: &mut Compiler, lp: &str) {
        c.expr(&mut self.rows, spans::join_key(lp, "rows"));
        c.template(&mut self.label, spans::join_key(lp, "label"));
        c.expr(&mut self.amount, spans::join_key(lp, "amount"));
        c.template(&mut self.format, spans::join_key(lp, "format"));
        if let Some(t) = &mut self.total {
            let tp = spans::join_key(lp, "total");
            c.template(&mut t.label, spans::join_key(&tp, "label"));
            c.expr_opt(&mut t.value, spans::join_key(&tp, "value"));
        }
        for (key, v) in [
            ("color", &mut self.color),
            ("credit_color", &mut self.credit_color),
            ("rule_color", &mut self.rule_color),
        ] {
            c.template(v, spans::join_key(lp, key));
        }
        c.template_opt(&mut self.zebra, spans::join_key(lp, "zebra"));
    }

    fn bind(&self, cx: &Cx) -> Result<Drawn, BindError> {
        let rows = self.rows(cx)?;
        let total = match &self.total {
            Some(t) => {
                let value = match &t.value {
                    Some(e) => cx.t.eval_number(e, "total.value")?,
                    None => rows.iter().map(|r| r.amount).sum(),
                };
                Some(Row { label: cx.t.text(&t.label)?, amount: value })
            }
            None => None,
        };
        let width = cx.width.unwrap_or(0.0);
        let row_h = self.row_height.unwrap_or(self.size * 1.8);
        // The total row sits a rule's gap below the last row.
        let gap = if total.is_some() { (self.size * 0.4).round() } else { 0.0 };
        let needed = row_h * (rows.len() + usize::from(total.is_some())) as f32 + gap;
        if let Some(h) = cx.height.filter(|h| needed > h + 0.5) {
            return Err(cx.t.err(
                ProblemKind::TextOverflow,
                self.rows.path(),
                format!(
                    "the table needs {needed}px for its {} rows but the layer is {h}px high; make it higher or the rows lower (`row_height`)",
                    rows.len()
                ),
            ));
        }
        let look = Look {
            font: cx.font(self.font.as_deref())?,
            color: cx.t.value(&self.color)?,
            credit: cx.t.value(&self.credit_color)?,
            width,
            row_h,
        };
        let mut parts = Vec::new();
        let zebra = match &self.zebra {
            Some(z) => Some(cx.t.value(z)?),
            None => None,
        };
        for (i, row) in rows.iter().enumerate() {
            let y = row_h * i as f32;
            let grow = self.grow_in(i);
            if let (Some(fill), true) = (zebra, i % 2 == 1) {
                let at = Rect { x: 0.0, y, w: width, h: row_h };
                let kind = NodeKind::Rect { fill: Some(Paint::Solid(fill)), radius: 0.0, stroke: None };
                parts.push(Part { kind, at, animation: grow.clone() });
            }
            self.row_parts(cx, &look, look.font, row, y, &grow, &mut parts)?;
        }
        if let Some(total) = &total {
            let y = row_h * rows.len() as f32 + gap;
            let grow = self.grow_in(rows.len());
            let rule = Rect { x: 0.0, y: y - gap / 2.0 - 1.0, w: width, h: 2.0 };
            let kind = NodeKind::Rect {
                fill: Some(Paint::Solid(cx.t.value(&self.rule_color)?)),
                radius: 0.0,
                stroke: None,
            };
            parts.push(Part { kind, at: rule, animation: grow.clone() });
            let bold = match (&self.total_font, cx.fonts.get(Some("bold"))) {
                (Some(f), _) => cx.font(Some(f))?,
                (None, Some(_)) => cx.font(Some("bold"))?,
                (None, None) => look.font,
            };
            self.row_parts(cx, &look, bold, total, y, &grow, &mut parts)?;
        }
        Ok(Drawn { width, height: cx.height.unwrap_or(needed), parts })
    }
}

/// One row as bound: its label and amount.
struct Row {
    label: String,
    amount: f64,
}

/// What every row is drawn with.
struct Look<'a> {
    font: FontChain<'a>,
    color: Rgba,
    credit: Rgba,
    width: f32,
    row_h: f32,
}

impl TableLayer {
    /// The rows of the record: a list, each with a label and a finite amount.
    fn rows(&self, cx: &Cx) -> Result<Vec<Row>, BindError> {
        let path = self.rows.path();
        let items = cx.t.list(path, cx.t.eval(&self.rows)?, "rows")?;
        if items.len() > MAX_ROWS {
            return Err(cx.t.err(
                ProblemKind::WrongValue,
                path,
                format!("the table has {} rows; at most {MAX_ROWS} are shown in a video", items.len()),
            ));
        }
        items
            .into_iter()
            .enumerate()
            .map(|(i, row)| {
                let scope = [("row", row)];
                let label = cx.t.text_with(&self.label, &scope)?;
                let v = cx.t.eval_with(&self.amount, &scope)?;
                let amount = cx.t.number(self.amount.path(), &v, &format!("the amount of row {i}"))?;
                if !amount.is_finite() {
                    return Err(cx.t.err(
                        ProblemKind::WrongValue,
                        self.amount.path(),
                        format!("the amount of row {i} is not a finite number"),
                    ));
                }
                Ok(Row { label, amount })
            })
            .collect()
    }

    /// Row `i`'s grow-in: it fades in and rises a little into place, after the rows before it.
    fn grow_in(&self, i: usize) -> Animation {
        let Some(g) = &self.grow else {
            return Animation::default();
        };
        let (delay, stagger, duration, easing) = g.timing();
        let t0 = delay + stagger * i as f32;
        Animation {
            opacity: vec![Track::ramp(t0, duration, 0.0, 1.0, easing)],
            dy: vec![Track::ramp(t0, duration, self.size * 0.4, 0.0, easing)],
            ..Animation::default()
        }
    }

    /// A row's label (left, cut with an ellipsis before the amount) and its amount (right
    /// aligned, so the decimals of every row line up).
    #[allow(clippy::too_many_arguments)]
    fn row_parts(
        &self,
        cx: &Cx,
        look: &Look,
        font: FontChain,
        row: &Row,
        y: f32,
        grow: &Animation,
        parts: &mut Vec<Part>,
    ) -> Result<(), BindError> {
        let pad = (self.size * PAD).round();
        let amount_text = cx.t.text_with(&self.format, &[("value", Value::from(row.amount))])?;
        let color = if row.amount < 0.0 { look.credit } else { look.color };
        let amount = one_line(font, &amount_text, self.size, color, None);
        let room = (look.width - 3.0 * pad - amount.width).max(1.0);
        let label = one_line(font, &row.label, self.size, look.color, Some(room));
        let middle = |b: &TextBlock| y + ((look.row_h - b.height) / 2.0).round();
        let amount_x = (look.width - pad - amount.width).round();
        for (x, block) in [(pad, label), (amount_x, amount)] {
            let at = Rect { x, y: middle(&block), w: block.width, h: block.height };
            let kind = NodeKind::Text(TextNode { variants: vec![(0.0, block)] });
            parts.push(Part { kind, at, animation: grow.clone() });
        }
        Ok(())
    }
}

/// A line of text, cut with an ellipsis to `max_width` when given.
fn one_line(font: FontChain, s: &str, size: f32, color: Rgba, max_width: Option<f32>) -> Arc<TextBlock> {
    let style = TextStyle { max_lines: Some(1), ..TextStyle::simple(size, color, Align::Left, max_width) };
    Arc::new(text::layout(font, s, style))
}

#[cfg(test)]
mod tests {
    use super::super::testing::{nodes, problems};
    use crate::scene::NodeKind;
    use crate::template::ProblemKind;
    use serde_json::json;

    const LAYER: &str = "{ type: table, rows: items, label: \"{{ row.label }}\", amount: row.amount, \
        format: \"{{ value | currency }}\", total: { label: Total }, zebra: \"#ffffff20\", width: 400 }";

    fn items() -> serde_json::Value {
        json!({"locale": "de-DE", "items": [
            {"label": "Energie", "amount": 89.07},
            {"label": "Netz", "amount": 21.4},
            {"label": "Bonus", "amount": -12.5}
        ]})
    }

    fn texts(nodes: &[crate::scene::Node]) -> Vec<String> {
        nodes
            .iter()
            .filter_map(|n| match &n.kind {
                NodeKind::Text(t) => Some(t.at(0.0).lines.join(" ")),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn rows_credits_zebra_and_the_total_are_drawn_in_order() {
        let n = nodes(LAYER, items()).unwrap();
        assert_eq!(
            texts(&n),
            [
                "Energie",
                "89,07\u{a0}€",
                "Netz",
                "21,40\u{a0}€",
                "Bonus",
                "-12,50\u{a0}€",
                "Total",
                "97,97\u{a0}€"
            ]
        );
        let rects = n.iter().filter(|n| matches!(n.kind, NodeKind::Rect { .. })).count();
        assert_eq!(rects, 2, "one zebra band (the second row) and the rule");
        // Amounts are right-aligned: their boxes end at the same x.
        let ends: Vec<f32> = n
            .iter()
            .filter(|n| matches!(&n.kind, NodeKind::Text(t) if t.at(0.0).lines[0].contains('€')))
            .map(|n| (n.bounds.x + n.bounds.w).round())
            .collect();
        assert!(ends.windows(2).all(|w| w[0] == w[1]), "{ends:?}");
        let credit = n.iter().find_map(|n| match &n.kind {
            NodeKind::Text(t) if t.at(0.0).lines[0].starts_with('-') => Some(t.at(0.0).color),
            _ => None,
        });
        assert_eq!(credit.map(|c| (c.r, c.g, c.b)), Some((0x81, 0xc7, 0x84)), "credits take credit_color");
    }

    #[test]
    fn rows_grow_in_one_after_another() {
        let layer = LAYER.replace("width: 400", "width: 400, grow: { stagger: 500ms, duration: 100ms }");
        let n = nodes(&layer, items()).unwrap();
        let first = n.iter().find(|n| matches!(n.kind, NodeKind::Text(_))).unwrap();
        let last = n.last().unwrap();
        assert_eq!(first.animation.at(0.2).opacity, 1.0);
        assert_eq!(last.animation.at(0.2).opacity, 0.0, "the total row comes last");
        assert_eq!(last.animation.at(1.7).opacity, 1.0);
    }

    #[test]
    fn bad_rows_fail_the_record_with_their_place() {
        let e = nodes(LAYER, json!({"items": "none"})).unwrap_err();
        assert_eq!(e.kind, ProblemKind::WrongValue);
        assert!(e.message.contains("rows must be a list"), "{e}");
        let e = nodes(LAYER, json!({"items": [{"label": "x", "amount": "abc"}]})).unwrap_err();
        assert!(e.message.contains("the amount of row 0 must be a number"), "{e}");
        let e = nodes(&LAYER.replace("width: 400", "width: 400, height: 60"), items()).unwrap_err();
        assert_eq!(e.kind, ProblemKind::TextOverflow, "{e}");
        let many: Vec<_> = (0..31).map(|i| json!({"label": "x", "amount": i})).collect();
        let e = nodes(LAYER, json!({ "items": many })).unwrap_err();
        assert!(e.message.contains("at most 30"), "{e}");
        assert!(
            problems("{ type: table, rows: r, label: l, amount: a }").contains("a table layer needs `width`")
        );
    }
}
