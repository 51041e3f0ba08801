//! `text`: text with `{{ }}` bindings and rich-text markup, wrapped and fitted to its box,
//! optionally counting a number up, outlined or shadowed.

use std::sync::Arc;

use schemars::JsonSchema;
use serde::Deserialize;

use super::common::{ease_out, one_second, white, Check, Cx, Drawn, LayerCommon, Stroke};
use super::Kind;
use crate::scene::text::{self, FontChain, TextStyle};
use crate::scene::{NodeKind, TextBlock, TextNode};
use crate::storyboard::{markup, spans, Bindable, Expr, MissingGlyphs, MAX_SCENE_SECS, MAX_TEXT_SIZE};
use crate::style::{parse_color, Align, Duration, Easing, Rgba, VAlign};
use crate::template::{BindError, Compiler, Context, ProblemKind, Value};

/// `text`: text with `{{ }}` bindings and rich-text markup, wrapped and fitted to its box.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TextLayer {
    /// The text, with `{{ }}` bindings.
    pub text: Bindable<String>,
    /// A name from `fonts:`; default: the first font.
    #[serde(default)]
    pub font: Option<String>,
    /// Text size in pixels.
    #[serde(default = "default_size")]
    pub size: f32,
    /// Text colour; may hold bindings.
    #[serde(default = "white")]
    pub color: Bindable<Rgba>,
    /// Alignment in the box: left, center, right; `start` and `end` follow the paragraph's direction.
    #[serde(default)]
    pub align: Align,
    /// Line height as a multiple of the font size.
    #[serde(default = "line_height")]
    pub line_height: f32,
    /// Animates a number from `from` to the value of `to`; the text sees it as `count`.
    #[serde(default)]
    pub count_up: Option<CountUp>,
    /// `shrink`: make the text smaller (down to `min_size`) until it fits its box
    /// (`width`, `height`, `max_lines`); then cut it with an ellipsis. `none`: cut only.
    #[serde(default)]
    pub fit: TextFit,
    /// Smallest size `fit: shrink` may use; default 60% of `size`.
    #[serde(default)]
    pub min_size: Option<f32>,
    /// At most this many lines; the last ends with an ellipsis when the text is cut.
    #[serde(default)]
    pub max_lines: Option<usize>,
    /// Vertical placement in the box when `height` is given: top, middle, bottom.
    #[serde(default)]
    pub valign: VAlign,
    /// Extra space between letters, in pixels.
    #[serde(default)]
    pub letter_spacing: f32,
    /// A line around each letter, for legibility over pictures: `{ color: "#000", width: 2 }`.
    #[serde(default)]
    pub outline: Option<Stroke>,
    /// A hard shadow under the text: `{ color: "#00000080", dx: 2, dy: 2 }`.
    #[serde(default)]
    pub shadow: Option<Shadow>,
}

/// A hard shadow under the text.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Shadow {
    /// The shadow's colour (default half-transparent black).
    #[serde(default = "shadow_color")]
    pub color: Bindable<Rgba>,
    /// Horizontal offset in pixels (positive: to the right).
    #[serde(default = "two")]
    pub dx: f32,
    /// Vertical offset in pixels (positive: down).
    #[serde(default = "two")]
    pub dy: f32,
}

fn shadow_color() -> Bindable<Rgba> {
    Bindable::new("#00000080")
}
fn two() -> f32 {
    2.0
}

/// What a text layer does when its text does not fit its box.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, serde::Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum TextFit {
    #[default]
    None,
    Shrink,
}

fn default_size() -> f32 {
    32.0
}
fn line_height() -> f32 {
    1.25
}

/// `count_up`: a number counting up; the text sees it as `count`, and the last frame shows the exact value.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CountUp {
    /// Expression for the final number, e.g. `bill.total`.
    pub to: Expr,
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

impl Kind for TextLayer {
    fn validate(&self, c: &LayerCommon, check: &mut Check<'_, '_>) {
        let t = self;
        check.font_key("font", t.font.as_deref());
        check.color_key("color", &t.color);
        let tp = check.key("text");
        match markup::check_template(t.text.source()) {
                Err(e) => check.rep.error(
                    &tp,
                    e.to_string(),
                    Some("`{{ }}` values never form tags; only a tag's argument may be one, e.g. `[color={{ c }}]`".into()),
                ),
                Ok(m) => {
                    for (_, style) in &m.runs {
                        if style.bold && !check.fonts.contains_key("bold") {
                            check.rep.error(
                                &tp,
                                "`[b]` draws with the font named `bold`, and `fonts:` has none",
                                Some("add e.g. `bold: fonts/Inter-Bold.otf` under `fonts:`".into()),
                            );
                            break;
                        }
                    }
                    for (_, style) in &m.runs {
                        check.font(&tp, style.font.as_deref().filter(|f| !f.contains(markup::BOUND)));
                        if let Some(c) = style.color.as_ref().filter(|c| !c.contains(markup::BOUND)) {
                            crate::storyboard::check_color(check.rep, &tp, c);
                        }
                    }
                }
            }
        check.positive("size", t.size, MAX_TEXT_SIZE);
        check.positive("line_height", t.line_height, 10.0);
        if let Some(o) = &t.outline {
            let path = spans::join_key(&check.key("outline"), "color");
            check.color(&path, &o.color);
            if !(o.width > 0.0 && o.width <= 50.0) {
                check.rep.error(
                    &spans::join_key(&check.key("outline"), "width"),
                    format!("an outline must be more than 0 and at most 50 px wide, but is {}", o.width),
                    None,
                );
            }
        }
        if let Some(sh) = &t.shadow {
            let path = spans::join_key(&check.key("shadow"), "color");
            check.color(&path, &sh.color);
            if !(sh.dx.abs() <= 200.0 && sh.dy.abs() <= 200.0) {
                check.rep.error(&check.key("shadow"), "a shadow's dx and dy must be within 200 px", None);
            }
        }
        if let Some(m) = t.min_size {
            check.positive("min_size", m, t.size.max(1.0));
        }
        if t.max_lines == Some(0) {
            check.error("max_lines", "max_lines must be at least 1");
        }
        if !t.letter_spacing.is_finite() || t.letter_spacing.abs() > 1000.0 {
            check.rep.error(
                &check.key("letter_spacing"),
                format!("letter_spacing must be a number of pixels, but is {}", t.letter_spacing),
                None,
            );
        }
        if t.fit == TextFit::Shrink && c.width.is_none() && t.max_lines.is_none() {
            check.rep.error(
                &check.layer.clone(),
                "`fit: shrink` needs a box to fit: give `width` (and `height` or `max_lines`)",
                None,
            );
        }
        if let Some(cu) = &t.count_up {
            if !cu.from.is_finite() || cu.duration.secs() > MAX_SCENE_SECS {
                check.rep.error(
                    &check.key("count_up"),
                    "count_up needs a finite `from` and a duration within the scene",
                    None,
                );
            }
        }
    }

    fn compile(&mut self, c: &mut Compiler, lp: &str) {
        c.template(&mut self.text, spans::join_key(lp, "text"));
        c.template(&mut self.color, spans::join_key(lp, "color"));
        if let Some(o) = &mut self.outline {
            c.template(&mut o.color, spans::join_key(&spans::join_key(lp, "outline"), "color"));
        }
        if let Some(sh) = &mut self.shadow {
            c.template(&mut sh.color, spans::join_key(&spans::join_key(lp, "shadow"), "color"));
        }
        if let Some(cu) = &mut self.count_up {
            c.expr(&mut cu.to, spans::join_key(&spans::join_key(lp, "count_up"), "to"));
        }
    }

    fn bind(&self, cx: &Cx) -> Result<Drawn, BindError> {
        let t = self;
        let (bw, bh) = (cx.width, cx.height);
        let font = cx.font(t.font.as_deref())?;
        let color = cx.t.value(&t.color)?;
        let style = TextStyle {
            size: t.size,
            color,
            align: if cx.mirrored { t.align.mirrored() } else { t.align },
            line_height: t.line_height,
            max_width: bw,
            letter_spacing: t.letter_spacing,
            max_lines: t.max_lines,
            max_height: bh,
            valign: t.valign,
        };
        let fit = (t.fit == TextFit::Shrink).then(|| t.min_size.unwrap_or(t.size * 0.6));
        let mut variants = match &t.count_up {
            None => {
                let rendered = cx.t.text(&t.text)?;
                within_length(cx, &t.text, &rendered)?;
                let rich = rich(cx, t.text.path(), font, &rendered, color)?;
                vec![(0.0, Arc::new(lay_out(&rich, style, fit)))]
            }
            Some(cu) => {
                let to = cx.t.eval(&cu.to)?;
                let to = cx.t.number(cu.to.path(), &to, &format!("count_up.to (`{}`)", cu.to.source()))?;
                count_up(cx, &t.text, font, style, fit, cu, to)?
            }
        };
        // Text no font can draw fails the record here, naming the fields it came from (unless
        // the storyboard says `missing_glyphs: replace`; the binder then logs it).
        if cx.missing_glyphs == MissingGlyphs::Fail {
            if let Some((_, block)) = variants.iter().find(|(_, b)| !b.missing.is_empty()) {
                let controls = block.missing.iter().filter(|c| c.is_control()).count();
                let what = if controls == block.missing.len() {
                    "control characters (NUL, a lone carriage return, ...) that no font draws".to_string()
                } else {
                    format!(
                        "{} character(s) that no font of the storyboard has",
                        block.missing.len() - controls
                    )
                };
                return Err(cx.t.err_from(
                    ProblemKind::MissingGlyph,
                    t.text.path(),
                    &cx.t.fields_of(&t.text),
                    &format!(
                        "the text{{from}} has {what}; add a font that covers them to `fallback_fonts`, \
                         or set `missing_glyphs: replace` to draw them as boxes"
                    ),
                ));
            }
        }
        // Outline and shadow decorate every variant (a count-up's frames included).
        if t.outline.is_some() || t.shadow.is_some() {
            let outline = match &t.outline {
                Some(o) => Some((cx.t.value(&o.color)?, o.width)),
                None => None,
            };
            let shadow = match &t.shadow {
                Some(sh) => Some((cx.t.value(&sh.color)?, sh.dx, sh.dy)),
                None => None,
            };
            for (_, block) in variants.iter_mut() {
                let b = Arc::make_mut(block);
                b.outline = outline;
                b.shadow = shadow;
            }
        }
        let w = bw.unwrap_or_else(|| variants.iter().map(|v| v.1.width).fold(0.0, f32::max));
        let h = bh.unwrap_or_else(|| variants.iter().map(|v| v.1.height).fold(0.0, f32::max));
        Ok(Drawn::one(NodeKind::Text(TextNode { variants }), w, h))
    }
}

/// Bound text is at most `--limit text-chars` long: a field of 50,000 characters is a wrong
/// record, and laying it out would cost seconds for a text nobody can read.
fn within_length(cx: &Cx, text: &Bindable<String>, rendered: &str) -> Result<(), BindError> {
    let chars = rendered.chars().count();
    if chars <= cx.limits.text_chars {
        return Ok(());
    }
    Err(cx.t.err_from(
        ProblemKind::WrongValue,
        text.path(),
        &cx.t.fields_of(text),
        &format!(
            "the text{{from}} is {chars} characters long once bound; a text layer draws at most {} \
             (`--limit text-chars`)",
            cx.limits.text_chars
        ),
    ))
}

/// The frames of a count-up: the text re-rendered with `count` at each frame's value, one
/// variant per distinct text.
fn count_up(
    cx: &Cx,
    template: &Bindable<String>,
    font: FontChain,
    style: TextStyle,
    fit: Option<f32>,
    cu: &CountUp,
    to: f64,
) -> Result<Vec<(f32, Arc<TextBlock>)>, BindError> {
    let (from, delay, duration, easing) =
        (cu.from, cu.delay.secs() as f32, cu.duration.secs() as f32, cu.easing);
    let fps = cx.fps as f32;
    let steps = (duration * fps).ceil().max(1.0) as u32;
    let mut out: Vec<(f32, Arc<TextBlock>)> = Vec::new();
    let mut last = String::new();
    for i in 0..=steps {
        if cx.t.check_only() && i != 0 && i != steps {
            continue;
        }
        let p = i as f32 / steps as f32;
        // The last step shows the exact value, whatever the easing's rounding.
        let v = if i == steps { to } else { from + (to - from) * easing.apply(p) as f64 };
        let s = cx.t.text_with(template, &[("count", Value::from(v))])?;
        if s != last || out.is_empty() {
            let t = if i == 0 { 0.0 } else { delay + p * duration };
            let rich = rich(cx, template.path(), font, &s, style.color)?;
            out.push((t, Arc::new(lay_out(&rich, style, fit))));
            last = s;
        }
    }
    Ok(out)
}

/// A text layer's rendered text, its markup turned into runs of font and colour.
fn rich<'a>(
    cx: &Cx<'a>,
    path: &str,
    base: FontChain<'a>,
    rendered: &str,
    color: Rgba,
) -> Result<text::Rich<'a>, BindError> {
    let t: &Context = cx.t;
    let marked = markup::parse(rendered).map_err(|e| t.err(ProblemKind::WrongValue, path, e.to_string()))?;
    if marked.is_plain() {
        return Ok(text::Rich::plain(base, &marked.text, color));
    }
    let mut runs = Vec::with_capacity(marked.runs.len());
    for (end, span) in &marked.runs {
        let fonts = match (&span.font, span.bold) {
            (Some(f), _) => cx.font(Some(f))?,
            (None, true) => cx.font(Some("bold"))?,
            (None, false) => base,
        };
        let color = match &span.color {
            Some(c) => parse_color(c).map_err(|e| t.err(ProblemKind::WrongValue, path, e.to_string()))?,
            None => color,
        };
        runs.push((*end, text::RunStyle { fonts, color }));
    }
    Ok(text::Rich::new(marked.text, text::RunStyle { fonts: base, color }, runs))
}

/// Lays text out, shrinking it first when the layer asks to (`fit` is the minimum size).
fn lay_out(rich: &text::Rich, style: TextStyle, fit: Option<f32>) -> TextBlock {
    match fit {
        Some(min) => text::layout_fit_rich(rich, style, min),
        None => text::layout_rich(rich, style),
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{node, problems};
    use crate::scene::NodeKind;
    use serde_json::json;

    #[test]
    fn text_binds_escapes_record_markup_and_counts_up_to_the_exact_value() {
        let k = node("{ type: text, text: \"Hi [b]{{ n }}[/b]\" }", json!({"n": "[i]Ann"})).unwrap();
        let NodeKind::Text(t) = k else { panic!() };
        assert_eq!(t.at(0.0).lines, ["Hi [i]Ann"], "record data never opens a tag");
        let layer =
            "{ type: text, text: \"{{ count | number(2) }}\", count_up: { to: total, duration: 1s } }";
        let NodeKind::Text(t) = node(layer, json!({"total": 12.345})).unwrap() else { panic!() };
        assert!(t.variants.len() > 3);
        assert_eq!(t.at(5.0).lines, ["12.35"]);
        assert_eq!(t.at(0.0).lines, ["0.00"]);
    }

    #[test]
    fn text_checks_fonts_markup_and_fit() {
        let p = problems("{ type: text, text: hi, font: bodyy }");
        assert!(p.contains("unknown font `bodyy`") && p.contains("did you mean `body`?"), "{p}");
        assert!(problems("{ type: text, text: \"[b]hi\" }").contains("never closed"));
        let p = problems("{ type: text, text: hi, fit: shrink }");
        assert!(p.contains("`fit: shrink` needs a box to fit"), "{p}");
        assert!(problems("{ type: text, text: hi, size: 0 }").contains("`size` must be more than 0"));
    }

    #[test]
    fn a_count_up_target_that_is_not_a_number_names_itself() {
        let e = node("{ type: text, text: \"{{ count }}\", count_up: { to: total } }", json!({"total": "x"}))
            .unwrap_err();
        assert!(e.message.contains("count_up.to (`total`) must be a number"), "{e}");
    }
}
