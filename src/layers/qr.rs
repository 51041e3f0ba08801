//! `qr`: a QR code (the pay link), whole pixels per module so it scans.

use schemars::JsonSchema;
use serde::Deserialize;

use super::common::{white, Check, Cx, Drawn, LayerCommon};
use super::Kind;
use crate::scene::{NodeKind, Qr};
use crate::storyboard::{spans, Bindable};
use crate::style::Rgba;
use crate::template::{BindError, Compiler, ProblemKind};

/// `qr`: a QR code, e.g. for the pay link: square, `width` wide (the quiet zone included).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QrLayer {
    /// What the code holds, with bindings: `"{{ links.pay }}"`.
    pub data: Bindable<String>,
    /// Dark modules.
    #[serde(default = "black")]
    pub color: Bindable<Rgba>,
    /// Light modules and the quiet zone around the code.
    #[serde(default = "white")]
    pub background: Bindable<Rgba>,
    /// Width of the light margin, in modules; scanners want 4.
    #[serde(default = "four")]
    pub quiet_zone: u32,
    /// `L`, `M`, `Q` or `H`: how much of the code may be damaged and still read.
    #[serde(default)]
    pub error_correction: EcLevel,
}

fn black() -> Bindable<Rgba> {
    Bindable::new("#000000")
}
fn four() -> u32 {
    4
}

/// Error correction: `L`, `M`, `Q` or `H`, from least to most of the code that may be damaged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, serde::Serialize, JsonSchema)]
pub enum EcLevel {
    L,
    #[default]
    M,
    Q,
    H,
}

impl Kind for QrLayer {
    fn validate(&self, c: &LayerCommon, check: &mut Check<'_, '_>) {
        let q = self;
        if c.width.is_none() {
            check.layer_error("a qr layer needs `width` (its side, quiet zone included)", None);
        }
        if c.height.is_some() {
            check.error("height", "a QR code is square: give only `width`");
        }
        check.color_key("color", &q.color);
        check.color_key("background", &q.background);
        if q.quiet_zone > 16 {
            check.rep.error(
                &check.key("quiet_zone"),
                format!("quiet_zone is in modules; {} is far more than the 4 scanners need", q.quiet_zone),
                None,
            );
        }
        if q.data.source().trim().is_empty() {
            check.rep.error(&check.key("data"), "a QR code needs `data`, e.g. \"{{ links.pay }}\"", None);
        }
    }

    fn compile(&mut self, c: &mut Compiler, lp: &str) {
        c.template(&mut self.data, spans::join_key(lp, "data"));
        c.template(&mut self.color, spans::join_key(lp, "color"));
        c.template(&mut self.background, spans::join_key(lp, "background"));
    }

    fn bind(&self, cx: &Cx) -> Result<Drawn, BindError> {
        let side = cx.width.unwrap_or(0.0);
        Ok(Drawn::one(NodeKind::Qr(qr(cx, self, side)?), side, side))
    }
}

/// Encodes a QR code and fits its modules, whole pixels each, in a `side` square.
fn qr(cx: &Cx, q: &QrLayer, side: f32) -> Result<Qr, BindError> {
    use qrcode::{EcLevel as L, QrCode};
    let path = q.data.path();
    let data = &cx.t.text(&q.data)?;
    let level = match q.error_correction {
        EcLevel::L => L::L,
        EcLevel::M => L::M,
        EcLevel::Q => L::Q,
        EcLevel::H => L::H,
    };
    if data.is_empty() {
        return Err(cx.t.err_from(
            ProblemKind::WrongValue,
            path,
            &cx.t.fields_of(&q.data),
            "the QR code's data{from} is empty for this record",
        ));
    }
    if cx.t.check_only() {
        // Only the size can fail: find the version without choosing the best mask (the
        // costly part of encoding), and draw nothing.
        let bits = qrcode::bits::encode_auto(data.as_bytes(), level).map_err(|e| {
            cx.t.err(
                ProblemKind::WrongValue,
                path,
                format!("cannot make a QR code of {} bytes: {e}", data.len()),
            )
        })?;
        let size = bits.version().width() as usize;
        return fit_qr(cx, path, q, side, size, vec![false; size * size]);
    }
    let code = QrCode::with_error_correction_level(data.as_bytes(), level).map_err(|e| {
        cx.t.err(ProblemKind::WrongValue, path, format!("cannot make a QR code of {} bytes: {e}", data.len()))
    })?;
    let size = code.width();
    let dark: Vec<bool> = code.to_colors().into_iter().map(|c| c == qrcode::Color::Dark).collect();
    fit_qr(cx, path, q, side, size, dark)
}

/// Places `size`x`size` modules, whole pixels each, in a `side` square.
fn fit_qr(
    cx: &Cx,
    path: &str,
    q: &QrLayer,
    side: f32,
    size: usize,
    dark: Vec<bool>,
) -> Result<Qr, BindError> {
    let total = (size + 2 * q.quiet_zone as usize) as f32;
    let module = (side / total).floor();
    if module < 2.0 {
        return Err(cx.t.err(
            ProblemKind::TextOverflow,
            path,
            format!("the QR code needs {total} modules across but the layer is {side}px wide; make it at least {}px (2px a module) so it scans", total * 2.0),
        ));
    }
    let inset = ((side - module * size as f32) / 2.0).floor();
    Ok(Qr {
        size,
        dark,
        module,
        origin: (inset, inset),
        color: cx.t.value(&q.color)?,
        background: cx.t.value(&q.background)?,
    })
}

#[cfg(test)]
mod tests {
    use super::super::testing::{node, problems};
    use crate::scene::NodeKind;
    use crate::template::ProblemKind;
    use serde_json::json;

    #[test]
    fn a_qr_code_is_whole_pixels_and_too_small_a_box_fails() {
        let NodeKind::Qr(q) =
            node("{ type: qr, data: \"{{ url }}\", width: 200 }", json!({"url": "https://x.example/p"}))
                .unwrap()
        else {
            panic!()
        };
        assert_eq!(q.module, q.module.floor());
        assert_eq!(q.dark.len(), q.size * q.size);
        let e = node("{ type: qr, data: \"{{ url }}\", width: 30 }", json!({"url": "https://x.example/p"}))
            .unwrap_err();
        assert_eq!(e.kind, ProblemKind::TextOverflow, "{e}");
        let e = node("{ type: qr, data: \"{{ url }}\", width: 200 }", json!({"url": ""})).unwrap_err();
        assert!(e.message.contains("empty"), "{e}");
        assert!(problems("{ type: qr, data: x, width: 9, height: 9 }").contains("a QR code is square"));
    }
}
