//! Output: how billreel publishes a file. Everything is written under a temporary name in the
//! same folder and renamed into place when complete, so a killed run never leaves half a file
//! under the final name, and a reader (a mailer, a resumed batch) sees a file whole or not at all.

use std::path::{Path, PathBuf};

use thiserror::Error;

/// A file that could not be put in place.
#[derive(Debug, Error)]
pub enum OutputError {
    #[error("cannot write {path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },
    #[error("cannot move {from} to {to}: {source}")]
    Publish { from: PathBuf, to: PathBuf, source: std::io::Error },
}

/// `out/C0003.mp4` -> `out/.C0003.mp4.partial-<tag>`: same folder (so the rename is atomic)
/// and hidden. The tag says who writes it (a process id, or a batch shard), so a later run
/// can clean up exactly its own leftovers.
pub fn temp_name(out: &Path, tag: &str) -> PathBuf {
    let name =
        out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "video.mp4".into());
    out.with_file_name(format!(".{name}.partial-{tag}"))
}

/// Runs `write` on the temporary name of `out`, then renames it into place; on any failure
/// the temporary file is removed, so `out` is either complete or absent.
pub fn write_atomically<T, E: From<OutputError>>(
    out: &Path,
    tag: &str,
    write: impl FnOnce(&Path) -> Result<T, E>,
) -> Result<T, E> {
    let tmp = temp_name(out, tag);
    let result = write(&tmp).and_then(|v| {
        std::fs::rename(&tmp, out).map(|_| v).map_err(|source| {
            OutputError::Publish { from: tmp.clone(), to: out.to_path_buf(), source }.into()
        })
    });
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Writes a small text file (captions, a page) atomically.
pub fn write_text(path: &Path, tag: &str, text: &str) -> Result<(), OutputError> {
    write_atomically(path, tag, |tmp| {
        std::fs::write(tmp, text).map_err(|source| OutputError::Write { path: path.to_path_buf(), source })
    })
}
