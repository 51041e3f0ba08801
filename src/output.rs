//! Output: how billreel publishes a file. Everything is written under a temporary name in the
//! same folder, flushed to the disk (fsync), renamed into place when complete, and the folder
//! flushed after the rename, so a killed run or a power cut never leaves half a file under the
//! final name, and a reader (a mailer, a resumed batch) sees a file whole or not at all. A batch
//! writes a record's manifest line only after this returned for every file of the record.

use std::fs::File;
use std::path::{Path, PathBuf};

use thiserror::Error;

/// A file that could not be put in place.
#[derive(Debug, Error)]
pub enum OutputError {
    #[error("cannot write {path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },
    #[error("cannot flush {what} {path} to the disk: {source}")]
    Sync { what: &'static str, path: PathBuf, source: std::io::Error },
    #[error("cannot put {what} in place: renaming {from} to {to} failed: {source}")]
    Publish { what: &'static str, from: PathBuf, to: PathBuf, source: std::io::Error },
}

/// What a file is, from its extension, for messages ("the poster (.jpg)").
pub fn what_file(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()) {
        Some("mp4") => "the video (.mp4)",
        Some("jpg") => "the poster (.jpg)",
        Some("gif") => "the preview (.gif)",
        Some("vtt") => "the captions (.vtt)",
        Some("srt") => "the captions (.srt)",
        Some("html") => "the page (.html)",
        Some("png") => "the picture (.png)",
        Some("jsonl") => "the manifest (.jsonl)",
        _ => "the file",
    }
}

/// `out/C0003.mp4` -> `out/.C0003.mp4.partial-<tag>`: same folder (so the rename is atomic)
/// and hidden. The tag says who writes it (a process id, or a batch shard), so a later run
/// can clean up exactly its own leftovers.
pub fn temp_name(out: &Path, tag: &str) -> PathBuf {
    let name =
        out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "video.mp4".into());
    out.with_file_name(format!(".{name}.partial-{tag}"))
}

/// Whether `a` and `b` are the same file (the same inode, so also through a link or another
/// spelling of the path). A path that does not exist is nobody's file.
pub fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        #[cfg(unix)]
        (Ok(x), Ok(y)) => {
            use std::os::unix::fs::MetadataExt;
            x.dev() == y.dev() && x.ino() == y.ino()
        }
        #[cfg(not(unix))]
        (Ok(_), Ok(_)) => match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
            (Ok(x), Ok(y)) => x == y,
            _ => false,
        },
        _ => false,
    }
}

/// The folder a file is in (`.` for a bare name).
fn folder_of(path: &Path) -> &Path {
    path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."))
}

/// Flushes a folder's entries (a rename in it) to the disk.
pub fn sync_folder(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Renames `tmp` (complete, written by this process) over `out`: flushes `tmp` to the disk
/// first, renames, then flushes the folder, so after a power cut `out` is the old file or the
/// whole new one, never a truncated one.
pub fn publish(tmp: &Path, out: &Path) -> Result<(), OutputError> {
    let what = what_file(out);
    File::open(tmp).and_then(|f| f.sync_all()).map_err(|source| OutputError::Sync {
        what,
        path: tmp.to_path_buf(),
        source,
    })?;
    std::fs::rename(tmp, out).map_err(|source| OutputError::Publish {
        what,
        from: tmp.to_path_buf(),
        to: out.to_path_buf(),
        source,
    })?;
    let dir = folder_of(out);
    sync_folder(dir).map_err(|source| OutputError::Sync {
        what: "the folder",
        path: dir.to_path_buf(),
        source,
    })
}

/// Runs `write` on the temporary name of `out`, then publishes it (see [`publish`]); on any
/// failure the temporary file is removed, so `out` is either complete or absent.
pub fn write_atomically<T, E: From<OutputError>>(
    out: &Path,
    tag: &str,
    write: impl FnOnce(&Path) -> Result<T, E>,
) -> Result<T, E> {
    let tmp = temp_name(out, tag);
    let result = write(&tmp).and_then(|v| publish(&tmp, out).map(|_| v).map_err(E::from));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Writes a small file (captions, a page, a picture) atomically.
pub fn write_bytes(path: &Path, tag: &str, bytes: &[u8]) -> Result<(), OutputError> {
    write_atomically(path, tag, |tmp| {
        std::fs::write(tmp, bytes).map_err(|source| OutputError::Write { path: path.to_path_buf(), source })
    })
}

/// Writes a small text file (captions, a page) atomically.
pub fn write_text(path: &Path, tag: &str, text: &str) -> Result<(), OutputError> {
    write_bytes(path, tag, text.as_bytes())
}

/// SHA-256 of a file in hex, read in 64 KiB blocks (a published video's checksum: in the
/// manifest, and on the object in a store).
pub fn file_sha256(path: &Path) -> std::io::Result<String> {
    use sha2::{Digest, Sha256};
    use std::io::Read;
    let mut h = Sha256::new();
    let mut f = File::open(path)?;
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex::encode(h.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("billreel-output-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn a_file_is_published_whole_and_no_temporary_file_stays() {
        let d = dir("publish");
        let out = d.join("a.vtt");
        write_text(&out, "t1", "WEBVTT\n").unwrap();
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "WEBVTT\n");
        assert_eq!(std::fs::read_dir(&d).unwrap().count(), 1, "only the published file");
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn a_failed_rename_says_which_file_and_leaves_nothing() {
        let d = dir("rename");
        for (ext, what) in [("jpg", "the poster (.jpg)"), ("gif", "the preview (.gif)")] {
            // A folder in the way: the rename cannot replace it.
            let out = d.join(format!("x.{ext}"));
            std::fs::create_dir_all(out.join("in-the-way")).unwrap();
            let e = write_bytes(&out, "t2", b"data").unwrap_err().to_string();
            assert!(e.starts_with(&format!("cannot put {what} in place: renaming ")), "{e}");
            assert!(e.contains(&format!("x.{ext}.partial-t2")) && !e.contains("MP4"), "{e}");
            assert!(!temp_name(&out, "t2").exists(), "the temporary file is removed");
        }
        std::fs::remove_dir_all(&d).unwrap();
    }
}
