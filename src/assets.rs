//! Assets: the folder of fonts, images and audio a storyboard may use.
//!
//! In: a relative path written in a storyboard (possibly produced by a binding from record
//! data). Out: a file inside the assets root, or an error saying why it was refused.
//! Decoded images are cached, so a batch decodes each file once.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use thiserror::Error;

use crate::math;

/// Largest image an asset may be, in each dimension, and in decoded bytes.
pub const MAX_IMAGE_SIDE: u32 = 8192;
pub const MAX_IMAGE_ALLOC: u64 = 256 << 20;

#[derive(Debug, Error, Clone, PartialEq)]
pub enum AssetError {
    #[error("asset path `{0}` is absolute; write it relative to the assets folder")]
    Absolute(String),
    #[error("asset path `{0}` leaves the assets folder (`..` is not allowed)")]
    Escapes(String),
    #[error("asset `{path}` does not exist under {root}")]
    Missing { path: String, root: String },
    #[error("asset `{0}` resolves (through a link) to a file outside the assets folder")]
    LinkEscapes(String),
    #[error("asset `{path}` could not be read: {reason}")]
    Unreadable { path: String, reason: String },
    #[error("asset `{path}` is not a usable image: {reason}")]
    BadImage { path: String, reason: String },
    #[error("asset `{path}` is not a usable SVG: {reason}")]
    BadSvg { path: String, reason: String },
}

/// How an image fills its box.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Fit {
    /// The whole image, letterboxed inside the box.
    #[default]
    Contain,
    /// The box filled, the image cropped around its centre.
    Cover,
    /// Stretched to the box.
    Fill,
}

/// A fitted picture: (asset file, box width, box height, fit, corner radius in 1/100 px).
type FittedKey = (PathBuf, u32, u32, Fit, u32);

/// Why an SVG file could not be drawn (the message follows "is not a usable SVG: ").
#[derive(Debug, Error)]
pub enum SvgError {
    #[error("{0}")]
    Parse(#[from] resvg::usvg::Error),
    #[error("empty size")]
    EmptySize,
}

/// The assets root and the caches of what was loaded from it.
#[derive(Debug, Clone)]
pub struct Assets {
    root: PathBuf,
    canonical_root: Option<PathBuf>,
    images: Arc<Mutex<HashMap<PathBuf, Arc<image::RgbaImage>>>>,
    /// Pictures fitted to a box: most records of a batch share them.
    fitted: Arc<Mutex<HashMap<FittedKey, Arc<tiny_skia::Pixmap>>>>,
}

impl Assets {
    pub fn new(root: impl Into<PathBuf>) -> Assets {
        let root = root.into();
        let canonical_root = root.canonicalize().ok();
        Assets { root, canonical_root, images: Default::default(), fitted: Default::default() }
    }

    /// Picks the assets folder for a storyboard: its `assets:` key (relative to the file), else
    /// `assets/` beside the storyboard, else `../assets` (the layout of this repository).
    pub fn for_storyboard(storyboard_file: &Path, assets_key: Option<&str>) -> Assets {
        let dir = storyboard_file.parent().unwrap_or(Path::new("."));
        if let Some(key) = assets_key {
            return Assets::new(dir.join(key));
        }
        let beside = dir.join("assets");
        if beside.is_dir() {
            return Assets::new(beside);
        }
        Assets::new(dir.join("..").join("assets"))
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Resolves a storyboard path to a file inside the root. Lexical checks refuse absolute
    /// paths and `..`; the canonical path is then compared with the canonical root so that a
    /// symbolic link cannot lead outside either.
    pub fn resolve(&self, rel: &str) -> Result<PathBuf, AssetError> {
        let p = Path::new(rel);
        if p.is_absolute() || rel.starts_with('/') || rel.starts_with('\\') {
            return Err(AssetError::Absolute(rel.into()));
        }
        for c in p.components() {
            match c {
                Component::Normal(_) | Component::CurDir => {}
                _ => return Err(AssetError::Escapes(rel.into())),
            }
        }
        let full = self.root.join(p);
        let canonical = full
            .canonicalize()
            .map_err(|_| AssetError::Missing { path: rel.into(), root: self.root.display().to_string() })?;
        match &self.canonical_root {
            Some(root) if canonical.starts_with(root) => {}
            _ => return Err(AssetError::LinkEscapes(rel.into())),
        }
        if !canonical.is_file() {
            return Err(AssetError::Missing { path: rel.into(), root: self.root.display().to_string() });
        }
        Ok(canonical)
    }

    pub fn read(&self, rel: &str) -> Result<Vec<u8>, AssetError> {
        let path = self.resolve(rel)?;
        std::fs::read(&path).map_err(|e| AssetError::Unreadable { path: rel.into(), reason: e.to_string() })
    }

    /// Decodes an image once (PNG or JPEG), with size limits so a huge file fails alone. The
    /// cache's lock is never held while decoding (a decoder that panics cannot poison it), and
    /// a lock poisoned anyway still guards whole entries only, so it is used as it is.
    pub fn image(&self, rel: &str) -> Result<Arc<image::RgbaImage>, AssetError> {
        let path = self.resolve(rel)?;
        if let Some(img) = self.images.lock().unwrap_or_else(PoisonError::into_inner).get(&path) {
            return Ok(img.clone());
        }
        let bad = |reason: String| AssetError::BadImage { path: rel.into(), reason };
        let mut reader = image::ImageReader::open(&path)
            .map_err(|e| bad(e.to_string()))?
            .with_guessed_format()
            .map_err(|e| bad(e.to_string()))?;
        let mut limits = image::Limits::default();
        limits.max_image_width = Some(MAX_IMAGE_SIDE);
        limits.max_image_height = Some(MAX_IMAGE_SIDE);
        limits.max_alloc = Some(MAX_IMAGE_ALLOC);
        reader.limits(limits);
        let img = Arc::new(reader.decode().map_err(|e| bad(e.to_string()))?.to_rgba8());
        self.images.lock().unwrap_or_else(PoisonError::into_inner).insert(path, img.clone());
        Ok(img)
    }
}

impl Assets {
    /// An image (PNG, JPEG or SVG) fitted into a `w`x`h` box with rounded corners, once per
    /// distinct (file, size, fit, radius). SVG files are drawn by resvg straight at the size
    /// they are shown, so they stay sharp; bitmaps are resized with a Lanczos filter.
    pub fn fitted(
        &self,
        rel: &str,
        w: f32,
        h: f32,
        fit: Fit,
        radius: f32,
    ) -> Result<Arc<tiny_skia::Pixmap>, AssetError> {
        let file = self.resolve(rel)?;
        let (bw, bh) = (w.round().max(1.0) as u32, h.round().max(1.0) as u32);
        let key = (file.clone(), bw, bh, fit, (radius * 100.0).round() as u32);
        if let Some(p) = self.fitted.lock().unwrap_or_else(PoisonError::into_inner).get(&key) {
            return Ok(p.clone());
        }
        let is_svg = file.extension().is_some_and(|e| e.eq_ignore_ascii_case("svg"));
        let mut p = if is_svg {
            let bytes = self.read(rel)?;
            render_svg(&bytes, bw, bh, fit)
                .map_err(|e| AssetError::BadSvg { path: rel.into(), reason: e.to_string() })?
        } else {
            let img = self.image(rel)?;
            fit_image(&img, bw, bh, fit)
        };
        round_corners(&mut p, radius);
        let p = Arc::new(p);
        self.fitted.lock().unwrap_or_else(PoisonError::into_inner).insert(key, p.clone());
        Ok(p)
    }
}

/// Draws an SVG at the size it will be shown (contain: the whole drawing, letterboxed; cover:
/// the box filled, cropped around the centre; fill: stretched).
fn render_svg(bytes: &[u8], bw: u32, bh: u32, fit: Fit) -> Result<tiny_skia::Pixmap, SvgError> {
    let tree = resvg::usvg::Tree::from_data(bytes, &resvg::usvg::Options::default())?;
    let (sw, sh) = (tree.size().width().max(1e-3), tree.size().height().max(1e-3));
    let (w, h, sx, sy) = match fit {
        Fit::Fill => (bw, bh, bw as f32 / sw, bh as f32 / sh),
        Fit::Contain => {
            let s = (bw as f32 / sw).min(bh as f32 / sh);
            ((sw * s).round().max(1.0) as u32, (sh * s).round().max(1.0) as u32, s, s)
        }
        Fit::Cover => {
            let s = (bw as f32 / sw).max(bh as f32 / sh);
            (bw, bh, s, s)
        }
    };
    let mut pix = tiny_skia::Pixmap::new(w, h).ok_or(SvgError::EmptySize)?;
    // Cover: centre the scaled drawing on the box, cropping what overflows.
    let (dx, dy) = ((w as f32 - sw * sx) / 2.0, (h as f32 - sh * sy) / 2.0);
    resvg::render(&tree, tiny_skia::Transform::from_row(sx, 0.0, 0.0, sy, dx, dy), &mut pix.as_mut());
    Ok(pix)
}

/// Makes the corners of an image transparent outside circles of `radius`, anti-aliased.
fn round_corners(pix: &mut tiny_skia::Pixmap, radius: f32) {
    let (w, h) = (pix.width() as f32, pix.height() as f32);
    let r = radius.min(w / 2.0).min(h / 2.0);
    if r <= 0.0 {
        return;
    }
    let width = pix.width() as usize;
    let pixels = pix.pixels_mut();
    let n = r.ceil() as usize;
    for (cx, cy, xs, ys) in [
        (r, r, 0..n, 0..n),
        (w - r, r, (w as usize - n)..w as usize, 0..n),
        (r, h - r, 0..n, (h as usize - n)..h as usize),
        (w - r, h - r, (w as usize - n)..w as usize, (h as usize - n)..h as usize),
    ] {
        for y in ys {
            for x in xs.clone() {
                let (px, py) = (x as f32 + 0.5, y as f32 + 0.5);
                // Only the part beyond the corner's centre is outside the rounded shape.
                let outward = (px < r && cx == r || px > w - r && cx == w - r)
                    && (py < r && cy == r || py > h - r && cy == h - r);
                if !outward {
                    continue;
                }
                let d = (math::powi(px - cx, 2) + math::powi(py - cy, 2)).sqrt();
                let coverage = (r - d + 0.5).clamp(0.0, 1.0);
                if coverage < 1.0 {
                    let c = pixels[y * width + x];
                    let scale = |v: u8| (v as f32 * coverage).round() as u8;
                    pixels[y * width + x] = tiny_skia::PremultipliedColorU8::from_rgba(
                        scale(c.red()),
                        scale(c.green()),
                        scale(c.blue()),
                        scale(c.alpha()),
                    )
                    .expect("scaling keeps colour <= alpha");
                }
            }
        }
    }
}

/// Scales an image for its box with a good filter, once, so that drawing it is a plain blit.
fn fit_image(img: &image::RgbaImage, bw: u32, bh: u32, fit: Fit) -> tiny_skia::Pixmap {
    use image::imageops::{self, FilterType};
    let (iw, ih) = (img.width().max(1) as f32, img.height().max(1) as f32);
    let resized = match fit {
        Fit::Fill => imageops::resize(img, bw, bh, FilterType::Lanczos3),
        Fit::Contain => {
            let s = (bw as f32 / iw).min(bh as f32 / ih);
            let (w, h) = ((iw * s).round().max(1.0) as u32, (ih * s).round().max(1.0) as u32);
            imageops::resize(img, w, h, FilterType::Lanczos3)
        }
        Fit::Cover => {
            let s = (bw as f32 / iw).max(bh as f32 / ih);
            let (w, h) = ((iw * s).round().max(1.0) as u32, (ih * s).round().max(1.0) as u32);
            let big = imageops::resize(img, w.max(bw), h.max(bh), FilterType::Lanczos3);
            let (x, y) = ((big.width() - bw) / 2, (big.height() - bh) / 2);
            imageops::crop_imm(&big, x, y, bw, bh).to_image()
        }
    };
    let mut pix = tiny_skia::Pixmap::new(resized.width(), resized.height()).expect("non-empty image");
    for (dst, src) in pix.pixels_mut().iter_mut().zip(resized.pixels()) {
        let [r, g, b, a] = src.0;
        *dst = tiny_skia::ColorU8::from_rgba(r, g, b, a).premultiply();
    }
    pix
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_paths_that_leave_the_root() {
        let dir = std::env::temp_dir().join(format!("billreel-assets-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("img")).unwrap();
        std::fs::write(dir.join("img/a.png"), b"x").unwrap();
        let assets = Assets::new(&dir);
        assert!(assets.resolve("img/a.png").is_ok());
        assert_eq!(assets.resolve("/etc/passwd"), Err(AssetError::Absolute("/etc/passwd".into())));
        assert_eq!(assets.resolve("../x.png"), Err(AssetError::Escapes("../x.png".into())));
        assert_eq!(assets.resolve("img/../../x"), Err(AssetError::Escapes("img/../../x".into())));
        assert!(matches!(assets.resolve("img/missing.png"), Err(AssetError::Missing { .. })));
        #[cfg(unix)]
        {
            let _ = std::fs::remove_file(dir.join("evil"));
            std::os::unix::fs::symlink("/etc/hostname", dir.join("evil")).unwrap();
            assert_eq!(assets.resolve("evil"), Err(AssetError::LinkEscapes("evil".into())));
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
