//! `batch --out s3://…` and `--data s3://…`: where the run stages its files, and the billing
//! data copied from an object store to a local file the reader streams as usual.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context as _, Result};

use crate::store::Store;

/// The folder the batch writes in, and the store it publishes to when that is not the folder.
pub fn out_target(out: &Path, work_dir: Option<&Path>) -> Result<(PathBuf, Option<Arc<Store>>)> {
    let target = out.to_string_lossy();
    if !Store::is_remote(&target) {
        return Ok((out.to_path_buf(), None));
    }
    let store = Store::open(&target).with_context(|| format!("--out {target}"))?;
    let staging = match work_dir {
        Some(dir) => dir.to_path_buf(),
        None => std::env::temp_dir().join(format!("billreel-stage-{}", flat(&target))),
    };
    Ok((staging, Some(Arc::new(store))))
}

/// `s3://videos/run 1` → `s3-videos-run-1`: a folder name per target, so two runs to different
/// targets never share a staging folder (nor its lock and manifest).
fn flat(target: &str) -> String {
    let s: String = target.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
    s.split('-').filter(|p| !p.is_empty()).collect::<Vec<_>>().join("-")
}

/// The billing data as a local file: the path itself, or an `s3://bucket/key` object streamed
/// to a temporary file that is removed when this is dropped.
pub struct DataFile {
    pub path: PathBuf,
    temporary: bool,
}

impl DataFile {
    pub fn fetch(data: &Path) -> Result<DataFile> {
        let arg = data.to_string_lossy();
        if !Store::is_remote(&arg) {
            return Ok(DataFile { path: data.to_path_buf(), temporary: false });
        }
        let (folder, name) = arg.rsplit_once('/').filter(|(f, _)| *f != "s3:/").with_context(|| {
            format!("--data {arg}: give the object's key after the bucket, e.g. s3://bucket/runs/run1.jsonl")
        })?;
        let store = Store::open(folder).with_context(|| format!("--data {arg}"))?;
        // The key's own name, so the reader still tells JSON Lines from CSV by its extension.
        let dir = std::env::temp_dir().join(format!("billreel-data-{}", std::process::id()));
        std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let path = dir.join(name);
        let file = DataFile { path, temporary: true };
        let t = std::time::Instant::now();
        if !store.download(name, &file.path).with_context(|| format!("--data {arg}"))? {
            anyhow::bail!("--data {arg}: there is no such object in the bucket");
        }
        let bytes = std::fs::metadata(&file.path).map(|m| m.len()).unwrap_or(0);
        tracing::info!(from = %arg, to = %file.path.display(), bytes, ms = t.elapsed().as_millis() as u64, "billing data copied from the object store");
        Ok(file)
    }
}

impl Drop for DataFile {
    fn drop(&mut self) {
        if self.temporary {
            let _ = std::fs::remove_file(&self.path);
            if let Some(dir) = self.path.parent() {
                let _ = std::fs::remove_dir(dir);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_target_has_its_own_staging_folder() {
        assert_eq!(flat("s3://videos/run 1/"), "s3-videos-run-1");
        assert_ne!(flat("s3://videos/run1"), flat("s3://videos/run2"));
        let (dir, store) = out_target(Path::new("out/run1"), None).unwrap();
        assert_eq!((dir, store.is_none()), (PathBuf::from("out/run1"), true));
    }

    #[test]
    fn a_data_object_needs_a_key() {
        let e = DataFile::fetch(Path::new("s3://videos")).err().unwrap().to_string();
        assert!(e.contains("give the object's key after the bucket"), "{e}");
    }
}
