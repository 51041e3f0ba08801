//! Assets: the folder of fonts, images and audio a storyboard may use.
//!
//! In: a relative path written in a storyboard (possibly produced by a binding from record
//! data). Out: a file inside the assets root, or an error saying why it was refused.
//! Decoded images are cached, so a batch decodes each file once.

use std::collections::HashMap;
use std::io::{Cursor, Read};
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use thiserror::Error;

use crate::limits::{grouped, Limits};
use crate::math;

mod svg;

pub use svg::SvgError;

/// Fitted pictures kept for later records, in bytes: past it the cache starts again, so a run
/// whose records pick thousands of different logos does not grow without end.
const FITTED_CACHE_BYTES: usize = 256 << 20;

/// Why an asset was refused. A path in a message may come from a record: it is shown escaped
/// and cut short (see [`shown`]).
#[derive(Debug, Error, Clone, PartialEq)]
pub enum AssetError {
    #[error("asset path `{0}` is absolute; write it relative to the assets folder")]
    Absolute(String),
    #[error("asset path `{0}` leaves the assets folder (`..` is not allowed)")]
    Escapes(String),
    #[error("asset `{path}` does not exist in {root}")]
    Missing { path: String, root: String },
    #[error("asset `{0}` resolves (through a link) to a file outside the assets folder")]
    LinkEscapes(String),
    #[error("asset `{0}` is not a regular file (a device, a pipe or a folder); an asset must be a file")]
    NotAFile(String),
    #[error(
        "asset `{path}` is {}, more than the {} an asset may be; make it smaller or raise \
         `--limit asset-bytes`",
        size_text(*size),
        size_text(*limit)
    )]
    TooBig { path: String, size: u64, limit: u64 },
    #[error("asset `{path}` could not be read: {reason}")]
    Unreadable { path: String, reason: String },
    #[error("asset `{path}` is not a usable image: {reason}")]
    BadImage { path: String, reason: String },
    #[error("asset `{path}` is not a usable SVG: {reason}")]
    BadSvg { path: String, reason: String },
    #[error("asset `{path}` is not a usable sound file: {reason}")]
    BadSound { path: String, reason: String },
    #[error(
        "an image box of {w}x{h} pixels is more than the {} pixels an image may have; make the \
         layer smaller or raise `--limit image-pixels`",
        grouped(*limit)
    )]
    BoxTooBig { w: u32, h: u32, limit: u64 },
}

impl AssetError {
    /// Whether the error belongs to the file whatever box it is drawn in (so that the next
    /// record using the file fails at once, without redoing the work).
    fn is_the_files(&self) -> bool {
        !matches!(self, AssetError::BoxTooBig { .. })
    }
}

/// `12.5 MiB` style, for messages.
fn size_text(n: u64) -> String {
    match n {
        n if n >= 1 << 20 => format!("{:.1} MiB", n as f64 / (1u64 << 20) as f64),
        n if n >= 1 << 10 => format!("{:.1} KiB", n as f64 / 1024.0),
        n => format!("{n} bytes"),
    }
}

/// An asset path as messages show it: a record may have chosen it, so control characters are
/// escaped and a long one is cut to 120 characters.
pub fn shown(rel: &str) -> String {
    const MAX: usize = 120;
    let mut out = String::new();
    for (i, c) in rel.chars().enumerate() {
        if i == MAX {
            out.push_str(&format!("… ({} characters)", rel.chars().count()));
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// How an image fills its box.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Default,
    serde::Deserialize,
    serde::Serialize,
    schemars::JsonSchema,
)]
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

/// Pictures fitted to a box, and how many bytes they hold.
#[derive(Debug, Default)]
struct FittedCache {
    pictures: HashMap<FittedKey, Arc<tiny_skia::Pixmap>>,
    bytes: usize,
}

/// The assets root and the caches of what was loaded from it.
#[derive(Debug, Clone)]
pub struct Assets {
    root: PathBuf,
    canonical_root: Option<PathBuf>,
    /// The bounds every asset is held to (`--limit`).
    limits: Limits,
    /// Pictures fitted to a box: most records of a batch share them.
    fitted: Arc<Mutex<FittedCache>>,
    /// Files that failed their checks (by canonical path): a bad asset is examined once per
    /// run, and every later record that picks it fails at once with the same error.
    failed: Arc<Mutex<HashMap<PathBuf, AssetError>>>,
}

impl Assets {
    pub fn new(root: impl Into<PathBuf>) -> Assets {
        let root = root.into();
        let canonical_root = root.canonicalize().ok();
        Assets {
            root,
            canonical_root,
            limits: Limits::default(),
            fitted: Default::default(),
            failed: Default::default(),
        }
    }

    /// The same folder held to `limits` (the caches start empty).
    pub fn with_limits(self, limits: &Limits) -> Assets {
        Assets { limits: *limits, fitted: Default::default(), failed: Default::default(), ..self }
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

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Resolves a storyboard path to a regular file inside the root, no larger than
    /// `asset_bytes`. Lexical checks refuse absolute paths and `..`; the canonical path is
    /// then compared with the canonical root so that a symbolic link cannot lead outside
    /// either; devices, pipes and folders are refused before anything opens them.
    pub fn resolve(&self, rel: &str) -> Result<PathBuf, AssetError> {
        let p = Path::new(rel);
        if p.is_absolute() || rel.starts_with('/') || rel.starts_with('\\') {
            return Err(AssetError::Absolute(shown(rel)));
        }
        for c in p.components() {
            match c {
                Component::Normal(_) | Component::CurDir => {}
                _ => return Err(AssetError::Escapes(shown(rel))),
            }
        }
        // The folder looked in, as the file system names it: `assets` alone does not say where.
        let root = match &self.canonical_root {
            Some(c) => format!("the assets folder {}", c.display()),
            None => format!(
                "the assets folder {} (which does not exist)",
                std::path::absolute(&self.root).unwrap_or_else(|_| self.root.clone()).display()
            ),
        };
        let missing = || AssetError::Missing { path: shown(rel), root: root.clone() };
        let full = self.root.join(p);
        let canonical = full.canonicalize().map_err(|_| missing())?;
        match &self.canonical_root {
            Some(root) if canonical.starts_with(root) => {}
            _ => return Err(AssetError::LinkEscapes(shown(rel))),
        }
        let meta = std::fs::metadata(&canonical).map_err(|_| missing())?;
        if !meta.is_file() {
            return Err(AssetError::NotAFile(shown(rel)));
        }
        if meta.len() > self.limits.asset_bytes {
            return Err(AssetError::TooBig {
                path: shown(rel),
                size: meta.len(),
                limit: self.limits.asset_bytes,
            });
        }
        Ok(canonical)
    }

    /// The whole file, read without following it past `asset_bytes` (a file that grows while
    /// it is read is cut there and refused).
    pub fn read(&self, rel: &str) -> Result<Vec<u8>, AssetError> {
        let path = self.resolve(rel)?;
        read_file(&path, self.limits.asset_bytes).map_err(|e| e.for_asset(rel))
    }

    /// The error a file failed with earlier in this run, if it did.
    pub fn failed(&self, file: &Path) -> Option<AssetError> {
        self.failed.lock().unwrap_or_else(PoisonError::into_inner).get(file).cloned()
    }

    /// Remembers that `file` failed, so that it is not examined again in this run.
    pub fn remember_failure(&self, file: &Path, error: &AssetError) {
        if error.is_the_files() {
            self.failed
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(file.to_path_buf(), error.clone());
        }
    }

    /// Checks an asset as far as can be without a box to draw it in: an SVG is parsed with
    /// every limit (on its own thread), an image's header is read for its size. Once per file
    /// per run; a failure is remembered.
    pub fn check(&self, rel: &str) -> Result<(), AssetError> {
        let file = self.resolve(rel)?;
        if let Some(e) = self.failed(&file) {
            return Err(e);
        }
        let result = if is_svg(&file) {
            self.read_svg(rel, &file).and_then(|bytes| {
                self.svg_context(&file)
                    .check(&bytes)
                    .map_err(|e| AssetError::BadSvg { path: shown(rel), reason: e.to_string() })
            })
        } else {
            self.read(rel).and_then(|bytes| self.image_size(rel, &bytes).map(|_| ()))
        };
        if let Err(e) = &result {
            self.remember_failure(&file, e);
        }
        result
    }

    /// An SVG file's bytes, within `svg_bytes` (checked before reading).
    fn read_svg(&self, rel: &str, file: &Path) -> Result<Vec<u8>, AssetError> {
        let limit = self.limits.svg_bytes.min(self.limits.asset_bytes);
        let too_big = |size: u64| AssetError::BadSvg {
            path: shown(rel),
            reason: format!(
                "it is {}, more than the {} an SVG may be; simplify it or raise `--limit svg-bytes`",
                size_text(size),
                size_text(limit)
            ),
        };
        match read_file(file, limit) {
            Ok(bytes) => Ok(bytes),
            Err(ReadError::TooBig(_)) => Err(too_big(std::fs::metadata(file).map_or(limit + 1, |m| m.len()))),
            Err(e) => Err(e.for_asset(rel)),
        }
    }

    /// An image's size from its header, refused past `image_pixels` before anything is decoded.
    fn image_size(&self, rel: &str, bytes: &[u8]) -> Result<(u32, u32), AssetError> {
        let bad = |reason: String| AssetError::BadImage { path: shown(rel), reason };
        let (w, h) = image::ImageReader::new(Cursor::new(bytes))
            .with_guessed_format()
            .map_err(|e| bad(e.to_string()))?
            .into_dimensions()
            .map_err(|e| bad(e.to_string()))?;
        let pixels = w as u64 * h as u64;
        if pixels > self.limits.image_pixels {
            return Err(bad(format!(
                "it is {w}x{h} pixels ({}), more than the {} an image may have; scale it down or \
                 raise `--limit image-pixels`",
                grouped(pixels),
                grouped(self.limits.image_pixels)
            )));
        }
        Ok((w, h))
    }

    /// Decodes an image (PNG, JPEG or GIF): its header's size is checked first, and the decoder
    /// runs under `image`'s own limits, so a huge or lying file fails alone. Not cached: the
    /// fitted picture is, and holding every decoded original would grow without end.
    fn decode_image(&self, rel: &str) -> Result<image::RgbaImage, AssetError> {
        let bytes = self.read(rel)?;
        let (w, h) = self.image_size(rel, &bytes)?;
        let bad = |reason: String| AssetError::BadImage { path: shown(rel), reason };
        let mut reader = image::ImageReader::new(Cursor::new(&bytes[..]))
            .with_guessed_format()
            .map_err(|e| bad(e.to_string()))?;
        let mut limits = image::Limits::default();
        limits.max_image_width = Some(w);
        limits.max_image_height = Some(h);
        // 16 bits a channel is the most a decoder holds a pixel in.
        limits.max_alloc = Some(self.limits.image_pixels.saturating_mul(8));
        reader.limits(limits);
        Ok(reader.decode().map_err(|e| bad(e.to_string()))?.to_rgba8())
    }

    /// What an SVG of the folder `file` is in may reach: files under the root, within limits.
    fn svg_context(&self, file: &Path) -> svg::Context {
        svg::Context {
            root: self.canonical_root.clone().unwrap_or_else(|| self.root.clone()),
            dir: file.parent().map(Path::to_path_buf).unwrap_or_else(|| self.root.clone()),
            limits: self.limits,
        }
    }
}

fn is_svg(file: &Path) -> bool {
    file.extension().is_some_and(|e| e.eq_ignore_ascii_case("svg"))
}

/// Why a file could not be read.
#[derive(Debug, Error)]
pub enum ReadError {
    #[error("not a regular file (a device, a pipe or a folder)")]
    NotAFile,
    #[error("larger than {} (`--limit asset-bytes`)", size_text(*.0))]
    TooBig(u64),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

impl ReadError {
    fn for_asset(self, rel: &str) -> AssetError {
        match self {
            ReadError::NotAFile => AssetError::NotAFile(shown(rel)),
            ReadError::TooBig(limit) => AssetError::TooBig { path: shown(rel), size: limit + 1, limit },
            ReadError::Io(e) => AssetError::Unreadable { path: shown(rel), reason: e.to_string() },
        }
    }
}

/// Opens a regular file for reading, without blocking (a pipe put in the file's place after
/// it was checked cannot hang the run), and checks it again once open, so that what is read is
/// a regular file. Returns it with its length.
pub fn open_regular(path: &Path) -> Result<(std::fs::File, u64), ReadError> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(ReadError::NotAFile);
    }
    Ok((file, meta.len()))
}

/// Reads a regular file whole, at most `limit` bytes (a file that grows while it is read is
/// cut there and refused).
pub fn read_file(path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    let (file, len) = open_regular(path)?;
    if len > limit {
        return Err(ReadError::TooBig(limit));
    }
    let mut bytes = Vec::with_capacity(len as usize);
    file.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(ReadError::TooBig(limit));
    }
    Ok(bytes)
}

/// The first `n` bytes of a regular file (fewer if it is shorter).
pub fn read_head(path: &Path, n: u64) -> Result<Vec<u8>, ReadError> {
    let (file, _) = open_regular(path)?;
    let mut head = Vec::new();
    file.take(n).read_to_end(&mut head)?;
    Ok(head)
}

impl Assets {
    /// An image (PNG, JPEG or SVG) fitted into a `w`x`h` box with rounded corners, once per
    /// distinct (file, size, fit, radius). SVG files are drawn by resvg straight at the size
    /// they are shown, so they stay sharp; bitmaps are resized with a Lanczos filter. A file
    /// that failed once fails again at once.
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
        if bw as u64 * bh as u64 > self.limits.image_pixels {
            return Err(AssetError::BoxTooBig { w: bw, h: bh, limit: self.limits.image_pixels });
        }
        let key = (file.clone(), bw, bh, fit, (radius * 100.0).round() as u32);
        if let Some(p) = self.fitted.lock().unwrap_or_else(PoisonError::into_inner).pictures.get(&key) {
            return Ok(p.clone());
        }
        if let Some(e) = self.failed(&file) {
            return Err(e);
        }
        let drawn = if is_svg(&file) {
            self.read_svg(rel, &file).and_then(|bytes| {
                self.svg_context(&file)
                    .render(&bytes, bw, bh, fit)
                    .map_err(|e| AssetError::BadSvg { path: shown(rel), reason: e.to_string() })
            })
        } else {
            self.decode_image(rel).and_then(|img| fit_image(&img, bw, bh, fit, self.limits.image_pixels, rel))
        };
        let mut p = match drawn {
            Ok(p) => p,
            Err(e) => {
                self.remember_failure(&file, &e);
                return Err(e);
            }
        };
        round_corners(&mut p, radius);
        let p = Arc::new(p);
        let mut cache = self.fitted.lock().unwrap_or_else(PoisonError::into_inner);
        let size = p.data().len();
        if cache.bytes + size > FITTED_CACHE_BYTES {
            cache.pictures.clear();
            cache.bytes = 0;
        }
        if cache.pictures.insert(key, p.clone()).is_none() {
            cache.bytes += size;
        }
        Ok(p)
    }
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
/// Cover scales the whole image up before cropping; when that would pass `max_pixels` (a long
/// thin image), the part that shows is cropped first instead.
fn fit_image(
    img: &image::RgbaImage,
    bw: u32,
    bh: u32,
    fit: Fit,
    max_pixels: u64,
    rel: &str,
) -> Result<tiny_skia::Pixmap, AssetError> {
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
            let (w, h) = (w.max(bw), h.max(bh));
            if w as u64 * h as u64 > max_pixels {
                let (cw, ch) = (
                    (bw as f32 / s).round().clamp(1.0, iw) as u32,
                    (bh as f32 / s).round().clamp(1.0, ih) as u32,
                );
                let (x, y) = ((img.width() - cw) / 2, (img.height() - ch) / 2);
                let part = imageops::crop_imm(img, x, y, cw, ch).to_image();
                imageops::resize(&part, bw, bh, FilterType::Lanczos3)
            } else {
                let big = imageops::resize(img, w, h, FilterType::Lanczos3);
                let (x, y) = ((big.width() - bw) / 2, (big.height() - bh) / 2);
                imageops::crop_imm(&big, x, y, bw, bh).to_image()
            }
        }
    };
    let mut pix = tiny_skia::Pixmap::new(resized.width(), resized.height())
        .ok_or_else(|| AssetError::BadImage { path: shown(rel), reason: "it has no pixels".into() })?;
    for (dst, src) in pix.pixels_mut().iter_mut().zip(resized.pixels()) {
        let [r, g, b, a] = src.0;
        *dst = tiny_skia::ColorU8::from_rgba(r, g, b, a).premultiply();
    }
    Ok(pix)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_from_a_record_is_shown_escaped_and_short() {
        assert_eq!(shown("logos/a.png"), "logos/a.png");
        assert_eq!(shown("a\nb\u{0}c"), "a\\nb\\u{0}c");
        let long = "x".repeat(5_000);
        assert_eq!(shown(&long), format!("{}… (5000 characters)", "x".repeat(120)));
        let e = Assets::new("/nonexistent").resolve(&format!("{long}\n")).unwrap_err().to_string();
        assert!(e.len() < 300 && !e.contains('\n'), "{e}");
    }

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
