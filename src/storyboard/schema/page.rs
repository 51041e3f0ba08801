//! The landing page beside each video: its buttons over the video (`cta`) and its text (`page`)
//! (see docs/storyboard.md, "The landing page").

use schemars::JsonSchema;
use serde::Deserialize;

use super::{yes, PaintSpec};
use crate::storyboard::bindable::Bindable;
use crate::style::{Duration, Length, Rgba};

/// A button over the video on the landing page.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CtaSpec {
    /// The button's text; may hold bindings.
    pub label: Bindable<String>,
    /// Where it leads: `"{{ links.pay }}"` (http, https, mailto or tel).
    pub href: Bindable<String>,
    /// Times are counted from the start of this scene (by id) instead of the video's; when
    /// the scene does not play for a record, neither does the button.
    #[serde(default)]
    pub scene: Option<String>,
    /// Shown from this time…
    #[serde(default)]
    pub from: Duration,
    /// …until this one (default: the end of the scene, or of the video).
    #[serde(default)]
    pub to: Option<Duration>,
    /// Position and size on the canvas, like a layer's box (top-left corner).
    pub x: Length,
    /// Top edge (or the anchor's point), like a layer's `y`.
    pub y: Length,
    /// The button's width: pixels or a percentage of the canvas width.
    pub width: Length,
    /// The button's height: pixels or a percentage of the canvas height.
    pub height: Length,
    /// The button's colour (the one its text's contrast is checked against); may hold bindings.
    #[serde(default = "cta_background")]
    pub background: Bindable<Rgba>,
    /// The label's colour; may hold bindings.
    #[serde(default = "white")]
    pub color: Bindable<Rgba>,
    /// Corner radius in canvas pixels.
    #[serde(default)]
    pub radius: f32,
    /// Text size in canvas pixels.
    #[serde(default = "cta_size")]
    pub size: f32,
    /// Which point of the box sits at (x, y), like a layer's `anchor`.
    #[serde(default)]
    pub anchor: crate::style::Anchor,
    /// A fill like a rect layer's (a colour or `{ linear: … }`) drawn over `background`, which
    /// stays the colour the text's contrast is checked against where the fill cannot be.
    #[serde(default)]
    pub fill: Option<PaintSpec>,
    /// A font of `fonts:` for the label; the page loads its file from `fonts/` beside itself.
    #[serde(default)]
    pub font: Option<String>,
    /// The drop shadow under the button.
    #[serde(default = "yes")]
    pub shadow: bool,
    /// A layer (by name) in the CTA's scene whose scaling (enter zoom, pulse) the button follows.
    #[serde(default)]
    pub follow: Option<String>,
}

/// A green that white text meets WCAG AA on (5.3:1); #00c853 gave 2.2:1.
fn cta_background() -> Bindable<Rgba> {
    Bindable::new("#00796b")
}
fn cta_size() -> f32 {
    32.0
}

/// The landing page: its title and the bill summary shown as text under the video.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PageSpec {
    /// May hold bindings.
    pub title: Bindable<String>,
    /// Lines of the summary (with bindings).
    #[serde(default)]
    pub summary: Vec<Bindable<String>>,
    /// Heading of the transcript (the captions as text) under the summary; none: no transcript.
    #[serde(default)]
    pub transcript: Option<Bindable<String>>,
    /// Page colours.
    #[serde(default = "page_background")]
    pub background: Bindable<Rgba>,
    /// Text colour; may hold bindings.
    #[serde(default = "white")]
    pub color: Bindable<Rgba>,
}

fn page_background() -> Bindable<Rgba> {
    Bindable::new("#0b1f3a")
}

fn white() -> Bindable<Rgba> {
    Bindable::new("#ffffff")
}
