//! Assets: the folder of fonts, images and audio a storyboard may use.
//!
//! In: a relative path written in a storyboard (possibly produced by a binding from record
//! data). Out: a file inside the assets root, or an error saying why it was refused.
//! Decoded images are cached, so a batch decodes each file once.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use thiserror::Error;

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
}

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
}

impl Assets {
    pub fn new(root: impl Into<PathBuf>) -> Assets {
        let root = root.into();
        let canonical_root = root.canonicalize().ok();
        Assets { root, canonical_root, images: Default::default() }
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
