//! `rect`: a rectangle (rounded, filled with a colour or a gradient, stroked).

use schemars::JsonSchema;
use serde::Deserialize;

use super::common::{bind_paint, compile_paint, Check, Cx, Drawn, LayerCommon, Stroke};
use super::Kind;
use crate::scene::NodeKind;
use crate::storyboard::{check_paint, spans, PaintSpec};
use crate::template::{BindError, Compiler};

/// `rect`: a rectangle, rounded, filled with a colour or a gradient, stroked.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RectLayer {
    /// A colour or `{ linear: { angle, stops } }`; none: not filled.
    #[serde(default)]
    pub fill: Option<PaintSpec>,
    /// Corner radius in pixels.
    #[serde(default)]
    pub radius: f32,
    /// A line around the rectangle: `{ color, width }`.
    #[serde(default)]
    pub stroke: Option<Stroke>,
}

impl Kind for RectLayer {
    fn validate(&self, common: &LayerCommon, check: &mut Check<'_, '_>) {
        if !(self.radius >= 0.0 && self.radius.is_finite()) {
            check.error("radius", format!("radius must be 0 or more, but is {}", self.radius));
        }
        if let Some(st) = &self.stroke {
            if !(st.width > 0.0 && st.width <= 1000.0) {
                let path = spans::join_key(&check.key("stroke"), "width");
                check.rep.error(
                    &path,
                    format!("a stroke width must be more than 0 and at most 1000, but is {}", st.width),
                    None,
                );
            }
        }
        if common.width.is_none() || common.height.is_none() {
            check.layer_error(
                "a rect layer needs `width` and `height`",
                Some("use pixels or percentages, e.g. `width: 100%`".into()),
            );
        }
        if let Some(f) = &self.fill {
            let path = check.key("fill");
            check_paint(check.rep, &path, f);
        }
        if let Some(s) = &self.stroke {
            let path = spans::join_key(&check.key("stroke"), "color");
            check.color(&path, &s.color);
        }
    }

    fn compile(&mut self, c: &mut Compiler, lp: &str) {
        if let Some(f) = &mut self.fill {
            compile_paint(f, c, spans::join_key(lp, "fill"));
        }
        if let Some(s) = &mut self.stroke {
            c.template(&mut s.color, spans::join_key(&spans::join_key(lp, "stroke"), "color"));
        }
    }

    fn bind(&self, cx: &Cx) -> Result<Drawn, BindError> {
        let fill = match &self.fill {
            Some(p) => Some(bind_paint(p, cx.t)?),
            None => None,
        };
        let stroke = match &self.stroke {
            Some(s) => Some((cx.t.value(&s.color)?, s.width)),
            None => None,
        };
        let (w, h) = cx.size();
        Ok(Drawn::one(NodeKind::Rect { fill, radius: self.radius, stroke }, w, h))
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{node, problems};
    use crate::scene::{NodeKind, Paint};
    use serde_json::json;

    #[test]
    fn an_image_fill_is_refused_outside_a_background() {
        let p = problems("{ type: rect, width: 10, height: 10, fill: { image: logos/brightwave.png } }");
        assert!(p.contains("test.yaml:8:") && p.contains("an image fills only a background"), "{p}");
        assert!(p.contains("draw a picture in a box with an `image` layer"), "{p}");
    }

    #[test]
    fn a_rect_needs_a_box_and_a_sane_stroke() {
        let p = problems("{ type: rect, width: 10, stroke: { color: \"#fff\", width: 0 } }");
        assert!(p.contains("a rect layer needs `width` and `height`"), "{p}");
        assert!(p.contains("a stroke width must be more than 0"), "{p}");
        assert!(problems("{ type: rect, width: 10, height: 10, fill: \"#zzz\" }").contains("colour"));
    }

    #[test]
    fn a_gradient_fill_binds_each_stop() {
        let layer = "{ type: rect, width: 10, height: 10, radius: 2, fill: { linear: { angle: 90, stops: [\"#000\", \"{{ c }}\"] } } }";
        let k = node(layer, json!({"c": "#00ff00"})).unwrap();
        let NodeKind::Rect { fill: Some(Paint::Linear { angle, stops }), radius, .. } = k else {
            panic!("{k:?}")
        };
        assert_eq!((angle, radius, stops.len(), stops[1].g), (90.0, 2.0, 2, 255));
    }
}
