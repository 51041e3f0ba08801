//! `progress`: a bar gauge (consumption against a budget), with an optional marker.

use schemars::JsonSchema;
use serde::Deserialize;

use super::common::{white, Check, Cx, Drawn, Grow, LayerCommon};
use super::Kind;
use crate::scene::{chart::GrowTiming, NodeKind, Progress};
use crate::storyboard::{spans, Bindable, Expr};
use crate::style::Rgba;
use crate::template::{BindError, Compiler};

/// `progress`: a bar gauge, how far `value` is towards `max` (consumption against a budget, say), with an
/// optional marker (the average of similar homes).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProgressLayer {
    /// Expression for the value, e.g. `usage.kwh | sum`.
    pub value: Expr,
    /// Expression for the full scale, e.g. `budget.kwh` or `4000`.
    pub max: Expr,
    /// Colour of the filled part.
    #[serde(default = "bar_color")]
    pub color: Bindable<Rgba>,
    /// The unfilled part of the bar.
    #[serde(default = "track_color")]
    pub track: Bindable<Rgba>,
    /// Corner radius; default: half the height (a pill).
    #[serde(default)]
    pub radius: Option<f32>,
    /// A tick across the bar at this value (expression), in `marker_color`.
    #[serde(default)]
    pub marker: Option<Expr>,
    /// Colour of the marker's tick.
    #[serde(default = "white")]
    pub marker_color: Bindable<Rgba>,
    /// The fill grows in from zero: `{ duration, delay, easing }`.
    #[serde(default)]
    pub grow: Option<Grow>,
}

fn bar_color() -> Bindable<Rgba> {
    Bindable::new("#4fc3f7")
}
fn track_color() -> Bindable<Rgba> {
    Bindable::new("#ffffff26")
}

impl Kind for ProgressLayer {
    fn validate(&self, c: &LayerCommon, check: &mut Check<'_, '_>) {
        check.needs_box(c, "a progress layer needs `width` and `height`");
        check.color_key("color", &self.color);
        check.color_key("track", &self.track);
        check.color_key("marker_color", &self.marker_color);
    }

    fn compile(&mut self, c: &mut Compiler, lp: &str) {
        c.expr(&mut self.value, spans::join_key(lp, "value"));
        c.expr(&mut self.max, spans::join_key(lp, "max"));
        c.template(&mut self.color, spans::join_key(lp, "color"));
        c.template(&mut self.track, spans::join_key(lp, "track"));
        c.template(&mut self.marker_color, spans::join_key(lp, "marker_color"));
        c.expr_opt(&mut self.marker, spans::join_key(lp, "marker"));
    }

    fn bind(&self, cx: &Cx) -> Result<Drawn, BindError> {
        let (w, h) = cx.size();
        let (value, max) = (cx.t.eval_number(&self.value, "value")?, cx.t.eval_number(&self.max, "max")?);
        // A zero or negative scale shows an empty bar rather than dividing by zero.
        let frac = |v: f64| if max > 0.0 { (v / max).clamp(0.0, 1.0) as f32 } else { 0.0 };
        let marker = match &self.marker {
            Some(m) => Some((frac(cx.t.eval_number(m, "marker")?), cx.t.value(&self.marker_color)?)),
            None => None,
        };
        let node = Progress {
            fraction: frac(value),
            color: cx.t.value(&self.color)?,
            track: cx.t.value(&self.track)?,
            radius: self.radius.unwrap_or(h / 2.0).clamp(0.0, h / 2.0),
            marker,
            grow: self.grow.as_ref().map(|g| GrowTiming {
                start: g.delay.secs() as f32,
                duration: g.duration.secs() as f32,
                easing: g.easing,
            }),
        };
        Ok(Drawn::one(NodeKind::Progress(node), w, h))
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{node, problems};
    use crate::scene::NodeKind;
    use serde_json::json;

    #[test]
    fn a_gauge_is_clamped_and_a_zero_scale_is_empty() {
        let layer = "{ type: progress, value: used, max: budget, marker: avg, width: 100, height: 10 }";
        let NodeKind::Progress(p) = node(layer, json!({"used": 50, "budget": 200, "avg": 400})).unwrap()
        else {
            panic!()
        };
        assert_eq!((p.fraction, p.marker.unwrap().0, p.radius), (0.25, 1.0, 5.0));
        let NodeKind::Progress(p) = node(layer, json!({"used": 5, "budget": 0, "avg": 1})).unwrap() else {
            panic!()
        };
        assert_eq!(p.fraction, 0.0);
        let e = node(layer, json!({"used": "lots", "budget": 1, "avg": 1})).unwrap_err();
        assert!(e.message.contains("`value` (`used`) must be a number"), "{e}");
        assert!(problems("{ type: progress, value: a, max: b }").contains("needs `width` and `height`"));
    }
}
