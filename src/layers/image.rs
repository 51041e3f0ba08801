//! `image`: a PNG, JPEG or SVG from the assets folder (the path may be bound per record),
//! fitted to its box, with rounded corners.

use schemars::JsonSchema;
use serde::Deserialize;

use super::common::{Check, Cx, Drawn, LayerCommon};
use super::Kind;
pub use crate::assets::Fit;
use crate::limits::grouped;
use crate::scene::{Node, NodeKind};
use crate::storyboard::{spans, Bindable};
use crate::template::{BindError, Compiler, Context, ProblemKind};

/// `image`: a PNG, JPEG or SVG from the assets folder, fitted to its box.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ImageLayer {
    /// Path under the assets folder (PNG, JPEG or SVG); may hold `{{ }}`.
    pub src: Bindable<String>,
    /// How the image fills its box: `contain` (letterboxed), `cover` (cropped) or `fill` (stretched).
    #[serde(default)]
    pub fit: Fit,
    /// Corner radius in pixels, applied to the image as drawn in its box.
    #[serde(default)]
    pub radius: f32,
}

impl Kind for ImageLayer {
    fn validate(&self, c: &LayerCommon, check: &mut Check<'_, '_>) {
        if !(self.radius >= 0.0 && self.radius.is_finite()) {
            check.error("radius", format!("radius must be 0 or more, but is {}", self.radius));
        }
        if c.width.is_none() || c.height.is_none() {
            check.layer_error("an image layer needs `width` and `height`", None);
        }
        if !self.src.source().contains("{{") {
            // A file named in the storyboard is checked whole now (an SVG parsed, an image's
            // size read), so a bad one is a storyboard error, not one failure per record.
            if let Err(e) = check.assets.check(self.src.source()) {
                let path = check.key("src");
                let hint = format!("images live under {}", check.assets.root().display());
                check.rep.error(&path, e.to_string(), Some(hint));
            }
        }
    }

    fn compile(&mut self, c: &mut Compiler, lp: &str) {
        c.template(&mut self.src, spans::join_key(lp, "src"));
    }

    fn bind(&self, cx: &Cx) -> Result<Drawn, BindError> {
        let (w, h) = cx.size();
        let src = cx.t.text(&self.src)?;
        let pixels = cx.assets.fitted(&src, w, h, self.fit, self.radius).map_err(|e| {
            cx.t.err(
                ProblemKind::MissingAsset,
                self.src.path(),
                format!("{e}{}", chosen_by(self.src.source())),
            )
        })?;
        let (bw, bh) = (w.round().max(1.0) as u32, h.round().max(1.0) as u32);
        let offset = ((bw as f32 - pixels.width() as f32) / 2.0, (bh as f32 - pixels.height() as f32) / 2.0);
        Ok(Drawn::one(NodeKind::Image { pixels, offset }, w, h))
    }
}

/// The pixels of the pictures a scene's image nodes hold, together, within `limit`
/// (`--limit frame-image-pixels`): checked as each layer is bound, so the message names the
/// layer that tips the sum over.
pub fn within_frame_budget(nodes: &[Node], limit: u64, t: &Context, path: &str) -> Result<(), BindError> {
    let total: u64 = nodes
        .iter()
        .map(|n| match &n.kind {
            NodeKind::Image { pixels, .. } => pixels.width() as u64 * pixels.height() as u64,
            _ => 0,
        })
        .sum();
    if total <= limit {
        return Ok(());
    }
    Err(t.err(
        ProblemKind::Other,
        path,
        format!(
            "the images of this scene hold {} pixels together with this one, more than the {} one \
             frame may draw (`--limit frame-image-pixels`); make their boxes smaller",
            grouped(total),
            grouped(limit)
        ),
    ))
}

/// Which record fields chose a path (`logos/{{ brand.logo }}` → ` (chosen by the record's
/// `brand.logo`)`), so that the operator knows what to fix; nothing for a fixed path.
fn chosen_by(source: &str) -> String {
    let mut fields = Vec::new();
    for part in source.split("{{").skip(1) {
        let expr = part.split("}}").next().unwrap_or("").trim();
        let field: String =
            expr.chars().take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '.').collect();
        if !field.is_empty() && !fields.contains(&field) {
            fields.push(field);
        }
    }
    if fields.is_empty() {
        return String::new();
    }
    let fields: Vec<String> = fields.iter().map(|f| format!("`{f}`")).collect();
    format!(" (chosen by the record's {} through `src: {source}`)", fields.join(", "))
}

#[cfg(test)]
mod tests {
    use super::super::testing::{node, problems};
    use crate::scene::NodeKind;
    use crate::template::ProblemKind;
    use serde_json::json;

    #[test]
    fn an_image_is_fitted_and_a_missing_one_fails_the_record() {
        let layer = "{ type: image, src: \"logos/{{ logo }}\", width: 200, height: 100, fit: contain }";
        let NodeKind::Image { pixels, offset } = node(layer, json!({"logo": "brightwave.png"})).unwrap()
        else {
            panic!()
        };
        assert!(pixels.width() <= 200 && pixels.height() <= 100);
        assert!(offset.0 >= 0.0 && offset.1 >= 0.0);
        let e = node(layer, json!({"logo": "nope.png"})).unwrap_err();
        assert_eq!(e.kind, ProblemKind::MissingAsset, "{e}");
        assert!(
            problems("{ type: image, src: logos/nope.png, width: 1, height: 1 }").contains("does not exist")
        );
    }
}
