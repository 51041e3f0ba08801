//! A run's bundle: the files a worker needs to load the run's storyboard as `enqueue` loaded
//! it — the storyboard, the parts it includes, its translations folder and its assets folder —
//! as one tar, stored in Redis beside the run.
//!
//! Paths are kept relative to the folder that holds them all, so relative paths written in the
//! storyboard (`assets: ../assets`, `include: parts/brand.yaml`, `translations: translations`)
//! find the same files once the bundle is unpacked anywhere.

use std::path::{Path, PathBuf};

use super::QueueError;

/// A bundle can be at most this big (Redis takes values up to 512 MB; a run's assets are
/// usually around 10 MB).
pub const MAX_BYTES: usize = 256 << 20;

/// A packed bundle.
pub struct Packed {
    pub bytes: Vec<u8>,
    /// The folder the entries are relative to.
    root: PathBuf,
}

impl Packed {
    /// `path` (one of those packed, or inside one of the folders) as named in the bundle.
    pub fn name_of(&self, path: &Path) -> Result<String, QueueError> {
        let real = real(path)?;
        let rel = real.strip_prefix(&self.root).expect("every packed path is under the root");
        Ok(rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/"))
    }
}

/// Packs `files` and the folders `dirs` (with everything under them).
pub fn pack(files: &[&Path], dirs: &[&Path]) -> Result<Packed, QueueError> {
    let reals: Vec<PathBuf> = files.iter().chain(dirs).map(|p| real(p)).collect::<Result<_, _>>()?;
    let root = common_folder(&reals);
    let mut tar = tar::Builder::new(Vec::new());
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| QueueError::Io { action: "cannot pack into the run's bundle", path, source }
    };
    for (k, real) in reals.iter().enumerate() {
        let name = real.strip_prefix(&root).expect("under the common folder");
        if k < files.len() {
            tar.append_path_with_name(real, name).map_err(io(real))?;
        } else if name.as_os_str().is_empty() {
            tar.append_dir_all(".", real).map_err(io(real))?;
        } else {
            tar.append_dir_all(name, real).map_err(io(real))?;
        }
    }
    let bytes = tar.into_inner().map_err(io(&root))?;
    if bytes.len() > MAX_BYTES {
        return Err(QueueError::Run(format!(
            "the run's bundle (storyboard, parts, translations and assets under {}) is {} MB; a queued run carries at most {} MB: \
             keep only the assets the storyboard uses in its assets folder",
            root.display(),
            bytes.len() >> 20,
            MAX_BYTES >> 20
        )));
    }
    Ok(Packed { bytes, root })
}

/// Unpacks `bytes` into `dest` (created), whole or not at all: into a temporary folder beside
/// it, then renamed. Entries that would land outside the folder are refused by `tar`.
pub fn unpack(bytes: &[u8], dest: &Path) -> Result<(), QueueError> {
    if dest.is_dir() {
        return Ok(());
    }
    let tmp = dest.with_extension(format!("partial-{}", std::process::id()));
    let io = |action, path: &Path| {
        let path = path.to_path_buf();
        move |source| QueueError::Io { action, path, source }
    };
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).map_err(io("cannot create", &tmp))?;
    tar::Archive::new(bytes).unpack(&tmp).map_err(io("cannot unpack the run's bundle into", &tmp))?;
    std::fs::rename(&tmp, dest).map_err(io("cannot rename the unpacked bundle to", dest))
}

fn real(path: &Path) -> Result<PathBuf, QueueError> {
    path.canonicalize().map_err(|source| QueueError::Io {
        action: "cannot find what the run's bundle needs:",
        path: path.to_path_buf(),
        source,
    })
}

/// The deepest folder holding every path (a file's own folder counts, not the file).
fn common_folder(paths: &[PathBuf]) -> PathBuf {
    let folder =
        |p: &PathBuf| if p.is_dir() { p.clone() } else { p.parent().unwrap_or(Path::new("/")).to_path_buf() };
    let mut root = folder(&paths[0]);
    for p in &paths[1..] {
        let p = folder(p);
        while !p.starts_with(&root) {
            root = root.parent().unwrap_or(Path::new("/")).to_path_buf();
        }
    }
    root
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bundle_keeps_paths_relative_to_the_folder_holding_them_all() {
        let dir = std::env::temp_dir().join(format!("billreel-bundle-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("scenes/parts")).unwrap();
        std::fs::create_dir_all(dir.join("assets/fonts")).unwrap();
        std::fs::write(dir.join("scenes/sb.yaml"), "assets: ../assets\n").unwrap();
        std::fs::write(dir.join("scenes/parts/p.yaml"), "x: 1\n").unwrap();
        std::fs::write(dir.join("assets/fonts/f.otf"), b"font").unwrap();
        std::fs::write(dir.join("scenes/unrelated.yaml"), "not packed\n").unwrap();
        let sb = dir.join("scenes/sb.yaml");
        let packed = pack(&[&sb, &dir.join("scenes/parts/p.yaml")], &[&dir.join("assets")]).unwrap();
        assert_eq!(packed.name_of(&sb).unwrap(), "scenes/sb.yaml");
        let out = dir.join("out");
        unpack(&packed.bytes, &out).unwrap();
        assert_eq!(std::fs::read(out.join("assets/fonts/f.otf")).unwrap(), b"font");
        assert!(out.join("scenes/parts/p.yaml").is_file());
        assert!(!out.join("scenes/unrelated.yaml").exists());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
