//! Content hashes: what a scene's frames depend on, as one SHA-256.
//!
//! In: a resolved [`Scene`]. Out: [`Scene::content_hash`], the key the shared-segment cache
//! finds a scene's coded pictures under. Every resolved value is fed in by field (a struct is
//! taken apart without `..`, so a field added later cannot be left out by mistake), numbers by
//! their bits with -0.0 made 0.0 and every NaN one NaN (values that draw alike hash alike),
//! lists with their length and enums with their variant (no two values feed the same bytes).
//! Glyph outlines are hashed as their segments (verbs and points), images as their pixels.

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use sha2::{Digest, Sha256};

use super::chart::{Bar, Chart, Counter, Filled, GrowTiming, Label, Line, Polygon, Slice};
use super::text::{PlacedGlyph, TextBlock};
use super::{
    Animation, Key, Node, NodeKind, Paint, Progress, Qr, Rect, Scene, TextNode, Track, TransitionKind,
};
use crate::style::{Align, Easing, Rgba, Side, VAlign};

/// A SHA-256 of a value's content.
pub type ContentHash = [u8; 32];

/// A value whose content can be hashed (see the module's header).
pub trait HashContent {
    fn hash_content<H: Hasher>(&self, h: &mut H);
}

/// The SHA-256 of `value`'s content.
pub fn content_hash<T: HashContent + ?Sized>(value: &T) -> ContentHash {
    let mut h = Sha256Hasher(Sha256::new());
    value.hash_content(&mut h);
    h.0.finalize().into()
}

/// SHA-256 behind the standard `Hasher` interface, so that values feed it through `Hash`.
pub struct Sha256Hasher(pub Sha256);

impl Hasher for Sha256Hasher {
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    /// Only the full digest is used; this is its first 8 bytes.
    fn finish(&self) -> u64 {
        let digest = self.0.clone().finalize();
        u64::from_le_bytes(digest[..8].try_into().expect("a digest has 32 bytes"))
    }
}

/// The bits of `v` with -0.0 as 0.0 and every NaN as the one quiet NaN.
pub fn canonical_bits(v: f32) -> u32 {
    if v.is_nan() {
        f32::NAN.to_bits()
    } else if v == 0.0 {
        0
    } else {
        v.to_bits()
    }
}

/// [`canonical_bits`] for an `f64`.
pub fn canonical_bits64(v: f64) -> u64 {
    if v.is_nan() {
        f64::NAN.to_bits()
    } else if v == 0.0 {
        0
    } else {
        v.to_bits()
    }
}

impl HashContent for f32 {
    fn hash_content<H: Hasher>(&self, h: &mut H) {
        h.write_u32(canonical_bits(*self));
    }
}

impl HashContent for f64 {
    fn hash_content<H: Hasher>(&self, h: &mut H) {
        h.write_u64(canonical_bits64(*self));
    }
}

/// Types whose standard `Hash` is their content (no floats in them).
macro_rules! by_hash {
    ($($t:ty),*) => {$(
        impl HashContent for $t {
            fn hash_content<H: Hasher>(&self, h: &mut H) {
                self.hash(h);
            }
        }
    )*};
}

by_hash!(u8, u32, usize, bool, char, str, String, Align, VAlign, Side);

impl<T: HashContent + ?Sized> HashContent for &T {
    fn hash_content<H: Hasher>(&self, h: &mut H) {
        (**self).hash_content(h);
    }
}

impl<T: HashContent + ?Sized> HashContent for Arc<T> {
    fn hash_content<H: Hasher>(&self, h: &mut H) {
        (**self).hash_content(h);
    }
}

impl<T: HashContent> HashContent for [T] {
    fn hash_content<H: Hasher>(&self, h: &mut H) {
        h.write_usize(self.len());
        self.iter().for_each(|v| v.hash_content(h));
    }
}

impl<T: HashContent> HashContent for Vec<T> {
    fn hash_content<H: Hasher>(&self, h: &mut H) {
        self.as_slice().hash_content(h);
    }
}

impl<T: HashContent> HashContent for Option<T> {
    fn hash_content<H: Hasher>(&self, h: &mut H) {
        match self {
            None => h.write_u8(0),
            Some(v) => {
                h.write_u8(1);
                v.hash_content(h);
            }
        }
    }
}

impl<A: HashContent, B: HashContent> HashContent for (A, B) {
    fn hash_content<H: Hasher>(&self, h: &mut H) {
        self.0.hash_content(h);
        self.1.hash_content(h);
    }
}

impl<A: HashContent, B: HashContent, C: HashContent> HashContent for (A, B, C) {
    fn hash_content<H: Hasher>(&self, h: &mut H) {
        self.0.hash_content(h);
        self.1.hash_content(h);
        self.2.hash_content(h);
    }
}

/// A picture: its size and its pixels.
impl HashContent for tiny_skia::Pixmap {
    fn hash_content<H: Hasher>(&self, h: &mut H) {
        h.write_u32(self.width());
        h.write_u32(self.height());
        h.write(self.data());
    }
}

/// An outline: its segments (verb and points), in order.
impl HashContent for tiny_skia::Path {
    fn hash_content<H: Hasher>(&self, h: &mut H) {
        use tiny_skia::PathSegment;
        h.write_usize(self.len());
        for segment in self.segments() {
            let (verb, points) = match segment {
                PathSegment::MoveTo(p) => (0, [p, p, p]),
                PathSegment::LineTo(p) => (1, [p, p, p]),
                PathSegment::QuadTo(p0, p1) => (2, [p0, p1, p1]),
                PathSegment::CubicTo(p0, p1, p2) => (3, [p0, p1, p2]),
                PathSegment::Close => (4, [tiny_skia::Point::zero(); 3]),
            };
            h.write_u8(verb);
            for p in points {
                p.x.hash_content(h);
                p.y.hash_content(h);
            }
        }
    }
}

impl HashContent for Rgba {
    fn hash_content<H: Hasher>(&self, h: &mut H) {
        h.write(&[self.r, self.g, self.b, self.a]);
    }
}

impl HashContent for Easing {
    fn hash_content<H: Hasher>(&self, h: &mut H) {
        match self {
            Easing::Linear => h.write_u8(0),
            Easing::EaseIn => h.write_u8(1),
            Easing::EaseOut => h.write_u8(2),
            Easing::EaseInOut => h.write_u8(3),
            Easing::CubicBezier(x1, y1, x2, y2) => {
                h.write_u8(4);
                [x1, y1, x2, y2].iter().for_each(|v| v.hash_content(h));
            }
        }
    }
}

/// Implements [`HashContent`] for structs, field by field. The struct is taken apart without
/// `..`: a field missing from the list does not compile.
macro_rules! by_fields {
    ($($t:ident { $($f:ident),* $(,)? })*) => {$(
        impl HashContent for $t {
            fn hash_content<H: Hasher>(&self, h: &mut H) {
                let $t { $($f),* } = self;
                $( $f.hash_content(h); )*
            }
        }
    )*};
}

by_fields! {
    Node { name, bounds, origin, opacity, animation, kind }
    Rect { x, y, w, h }
    Progress { fraction, color, track, radius, marker, grow }
    Qr { size, dark, module, origin, color, background }
    TextNode { variants }
    Animation { opacity, dx, dy, scale }
    Track { keys }
    Key { t, v, easing }
    TextBlock { glyphs, color, width, height, lines, missing, overflow, size, outline, shadow, rtl }
    PlacedGlyph { path, x, y, scale, color }
    Chart { bars, lines, slices, shapes, rules, labels, counters, swatches }
    Bar { x, base, w, h, down, color, radius, grow, value_label, label_always }
    Line { points, color, width, area, draw, highlight }
    Slice { center, outer, inner, start, sweep, color, grow }
    GrowTiming { start, duration, easing }
    Polygon { points, color }
    Filled { rect, color }
    Label { x, y, block }
    Counter { x, y, width, align, text }
}

/// Everything a scene's frames depend on, and its name and length; not where it starts on the
/// video's timeline (a segment's key places it).
impl HashContent for Scene {
    fn hash_content<H: Hasher>(&self, h: &mut H) {
        let Scene { id, start: _, frames, transition, transition_frames, background, nodes } = self;
        id.hash_content(h);
        frames.hash_content(h);
        transition.hash_content(h);
        transition_frames.hash_content(h);
        background.hash_content(h);
        nodes.hash_content(h);
    }
}

impl HashContent for TransitionKind {
    fn hash_content<H: Hasher>(&self, h: &mut H) {
        match self {
            TransitionKind::Fade => h.write_u8(0),
            TransitionKind::Slide(side) => {
                h.write_u8(1);
                side.hash_content(h);
            }
            TransitionKind::Wipe(side) => {
                h.write_u8(2);
                side.hash_content(h);
            }
        }
    }
}

impl HashContent for Paint {
    fn hash_content<H: Hasher>(&self, h: &mut H) {
        match self {
            Paint::Solid(c) => {
                h.write_u8(0);
                c.hash_content(h);
            }
            Paint::Linear { angle, stops } => {
                h.write_u8(1);
                angle.hash_content(h);
                stops.hash_content(h);
            }
            Paint::Image(pixels) => {
                h.write_u8(2);
                h.write_u32(pixels.width());
                h.write_u32(pixels.height());
                h.write(pixels.data());
            }
        }
    }
}

impl HashContent for NodeKind {
    fn hash_content<H: Hasher>(&self, h: &mut H) {
        match self {
            NodeKind::Rect { fill, radius, stroke } => {
                h.write_u8(0);
                fill.hash_content(h);
                radius.hash_content(h);
                stroke.hash_content(h);
            }
            NodeKind::Text(text) => {
                h.write_u8(1);
                text.hash_content(h);
            }
            NodeKind::Image { pixels, offset } => {
                h.write_u8(2);
                pixels.hash_content(h);
                offset.hash_content(h);
            }
            NodeKind::Chart(chart) => {
                h.write_u8(3);
                chart.hash_content(h);
            }
            NodeKind::Qr(qr) => {
                h.write_u8(4);
                qr.hash_content(h);
            }
            NodeKind::Progress(p) => {
                h.write_u8(5);
                p.hash_content(h);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zeros_and_nans_are_canonical_and_other_numbers_are_not() {
        assert_eq!(canonical_bits(-0.0), canonical_bits(0.0));
        assert_eq!(canonical_bits(f32::NAN), canonical_bits(-f32::NAN));
        assert_eq!(canonical_bits(f32::from_bits(0x7fc0_0001)), canonical_bits(f32::NAN));
        assert_ne!(canonical_bits(1.0), canonical_bits(-1.0));
        assert_ne!(canonical_bits(f32::MIN_POSITIVE), canonical_bits(0.0));
        assert_eq!(content_hash(&-0.0f64), content_hash(&0.0f64));
    }

    fn scene(start: u32, fill: Rgba, radius: f32) -> Scene {
        Scene {
            id: "intro".into(),
            start,
            frames: 30,
            transition: TransitionKind::Fade,
            transition_frames: 0,
            background: None,
            nodes: vec![Node {
                name: "box".into(),
                bounds: Rect { x: 10.0, y: 20.0, w: 100.0, h: 50.0 },
                origin: (10.0, 20.0),
                opacity: 1.0,
                animation: Animation::default(),
                kind: NodeKind::Rect { fill: Some(Paint::Solid(fill)), radius, stroke: None },
            }],
        }
    }

    #[test]
    fn a_scene_hashes_its_content_not_where_it_starts() {
        let red = Rgba::rgb(200, 0, 0);
        let a = scene(0, red, 4.0);
        assert_eq!(a.content_hash(), scene(90, red, 4.0).content_hash());
        assert_eq!(a.content_hash(), a.clone().content_hash());
        assert_ne!(a.content_hash(), scene(0, Rgba::rgb(200, 0, 1), 4.0).content_hash());
        assert_ne!(a.content_hash(), scene(0, red, 4.5).content_hash());
        assert_eq!(scene(0, red, 0.0).content_hash(), scene(0, red, -0.0).content_hash());
    }

    #[test]
    fn lists_and_options_do_not_run_into_each_other() {
        let a: (Vec<u32>, Vec<u32>) = (vec![1, 2], vec![3]);
        let b: (Vec<u32>, Vec<u32>) = (vec![1], vec![2, 3]);
        assert_ne!(content_hash(&a), content_hash(&b));
        assert_ne!(content_hash(&(None::<u32>, Some(0u32))), content_hash(&(Some(0u32), None::<u32>)));
    }
}
