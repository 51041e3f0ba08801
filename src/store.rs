//! Store: where a run's published files live, a local folder or an object store bucket.
//!
//! Names are relative to the store's root (`ab12cd.mp4`, `manifest.jsonl`), `/`-separated, and
//! never leave it. Every write is whole or absent: a local file goes through [`crate::output`]'s
//! temporary name and rename, so a killed writer leaves no half file under a final name and a
//! reader (a mailer, a resumed run) sees the old file or the new one. The same holds for an
//! object store, where a PUT or a completed multipart upload is atomic by the protocol.
//!
//! The API is synchronous on purpose: the callers are worker threads that render one record at a
//! time and publish its files before moving on. An `s3://bucket/prefix` store ([`s3`]) runs its
//! requests on a small runtime of its own; call it from plain threads, not from async code.

pub mod s3;

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use thiserror::Error;

use crate::output::{self, OutputError};

/// Where published files go.
#[derive(Debug)]
pub struct Store {
    backend: Backend,
}

#[derive(Debug)]
enum Backend {
    Local { root: PathBuf },
    S3(Box<s3::Bucket>),
}

/// What a store knows of one object.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectInfo {
    /// Relative to the store's root.
    pub name: String,
    pub size: u64,
    pub modified: Option<SystemTime>,
    /// SHA-256 in hex of the bytes, when the store keeps it with the object (an object store's
    /// `x-amz-meta-sha256`, through [`Store::head`]); None for a local file.
    pub sha256: Option<String>,
}

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("`{target}` is not a place to store outputs: {reason}")]
    Target { target: String, reason: String },
    #[error("`{name}` is not a file name inside the store: {reason}")]
    Name { name: String, reason: &'static str },
    #[error(transparent)]
    Output(#[from] OutputError),
    #[error("cannot {action} {path}: {source}")]
    Io { action: &'static str, path: PathBuf, source: std::io::Error },
    /// An object store request failed after its retries; `source` holds what the server said.
    #[error("cannot {action} `{object}` in bucket `{bucket}`: {source}")]
    Remote {
        action: &'static str,
        bucket: String,
        object: String,
        /// Boxed: object_store's error is large, and every store call returns this type.
        #[source]
        source: Box<object_store::Error>,
    },
}

impl Store {
    /// A store from what a user typed after `--out`: a local folder (created when missing) or
    /// `s3://bucket/prefix` (credentials, region and endpoint from the AWS_* environment
    /// variables; see [`s3`]).
    pub fn open(target: &str) -> Result<Store, StoreError> {
        if target.is_empty() {
            return Err(StoreError::Target { target: target.into(), reason: "it is empty".into() });
        }
        if target.starts_with("s3://") {
            return Store::open_with(target, &[]);
        }
        if let Some((scheme, _)) = target.split_once("://") {
            return Err(StoreError::Target {
                target: target.into(),
                reason: format!(
                    "`{scheme}://` is not a store billreel knows; give a local folder or s3://bucket/prefix"
                ),
            });
        }
        Store::local(Path::new(target))
    }

    /// An `s3://bucket/prefix` store with `options` over the AWS_* environment variables
    /// (object_store's names: `aws_endpoint`, `aws_access_key_id`, `aws_region`…): for a worker
    /// told where to publish by its queue rather than its environment, and for tests.
    pub fn open_with(target: &str, options: &[(&str, &str)]) -> Result<Store, StoreError> {
        Ok(Store { backend: Backend::S3(Box::new(s3::Bucket::open(target, options)?)) })
    }

    /// Whether `target` names an object store rather than a local folder.
    pub fn is_remote(target: &str) -> bool {
        target.starts_with("s3://")
    }

    /// A local folder (created when missing).
    pub fn local(root: &Path) -> Result<Store, StoreError> {
        std::fs::create_dir_all(root).map_err(|source| StoreError::Io {
            action: "create the folder",
            path: root.to_path_buf(),
            source,
        })?;
        Ok(Store { backend: Backend::Local { root: root.to_path_buf() } })
    }

    /// The folder, when the store is a local one.
    pub fn local_root(&self) -> Option<&Path> {
        match &self.backend {
            Backend::Local { root } => Some(root),
            Backend::S3(_) => None,
        }
    }

    /// Publishes the file at `from` (left in place) under `name`, whole or not at all.
    /// `tag` marks the temporary file of a local store, so the writer can remove its leftovers.
    /// An object store gets the file's kind's headers and its SHA-256 with it; a video goes up
    /// in parts.
    pub fn put_file(&self, name: &str, from: &Path, tag: &str) -> Result<(), StoreError> {
        let root = match &self.backend {
            Backend::Local { root } => root,
            Backend::S3(b) => return b.put_file(checked(name)?, from),
        };
        let to = root.join(checked(name)?);
        make_parent(&to)?;
        output::write_atomically(&to, tag, |tmp| {
            std::fs::copy(from, tmp).map(|_| ()).map_err(|source| StoreError::Io {
                action: "copy into",
                path: tmp.to_path_buf(),
                source,
            })
        })
    }

    /// Publishes `bytes` under `name`, whole or not at all.
    pub fn put_bytes(&self, name: &str, bytes: &[u8], tag: &str) -> Result<(), StoreError> {
        let root = match &self.backend {
            Backend::Local { root } => root,
            Backend::S3(b) => return b.put_bytes(checked(name)?, bytes),
        };
        let to = root.join(checked(name)?);
        make_parent(&to)?;
        Ok(output::write_bytes(&to, tag, bytes)?)
    }

    /// The object's bytes, or None when there is no such object.
    pub fn get(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let root = match &self.backend {
            Backend::Local { root } => root,
            Backend::S3(b) => return b.get(checked(name)?),
        };
        let path = root.join(checked(name)?);
        match std::fs::read(&path) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(StoreError::Io { action: "read", path, source }),
        }
    }

    /// What the store knows of `name`, or None when there is no such object.
    pub fn head(&self, name: &str) -> Result<Option<ObjectInfo>, StoreError> {
        let root = match &self.backend {
            Backend::Local { root } => root,
            Backend::S3(b) => return b.head(checked(name)?),
        };
        let path = root.join(checked(name)?);
        match std::fs::metadata(&path) {
            Ok(m) if m.is_file() => Ok(Some(ObjectInfo {
                name: name.to_string(),
                size: m.len(),
                modified: m.modified().ok(),
                sha256: None,
            })),
            Ok(_) => Ok(None),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(StoreError::Io { action: "read the size of", path, source }),
        }
    }

    /// Deletes `name`; true when there was such an object.
    pub fn delete(&self, name: &str) -> Result<bool, StoreError> {
        let root = match &self.backend {
            Backend::Local { root } => root,
            Backend::S3(b) => return b.delete(checked(name)?),
        };
        let path = root.join(checked(name)?);
        match std::fs::remove_file(&path) {
            Ok(()) => {
                let dir = path.parent().unwrap_or(root);
                output::sync_folder(dir).map_err(|source| StoreError::Io {
                    action: "flush the folder",
                    path: dir.to_path_buf(),
                    source,
                })?;
                Ok(true)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(source) => Err(StoreError::Io { action: "delete", path, source }),
        }
    }

    /// The published objects whose names start with `prefix` (`""`: all), in name order.
    /// Temporary files of writers at work (hidden names) are not objects.
    pub fn list(&self, prefix: &str) -> Result<Vec<ObjectInfo>, StoreError> {
        let root = match &self.backend {
            Backend::Local { root } => root,
            Backend::S3(b) => return b.list(prefix),
        };
        let mut found = Vec::new();
        list_local(root, "", prefix, &mut found)?;
        found.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(found)
    }

    /// Copies the object `name` into the local file `to`, streamed (a big billing run is never
    /// held in memory); false when there is no such object.
    pub fn download(&self, name: &str, to: &Path) -> Result<bool, StoreError> {
        let root = match &self.backend {
            Backend::Local { root } => root,
            Backend::S3(b) => return b.download(checked(name)?, to),
        };
        let from = root.join(checked(name)?);
        match std::fs::copy(&from, to) {
            Ok(_) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !from.exists() => Ok(false),
            Err(source) => Err(StoreError::Io { action: "copy", path: from, source }),
        }
    }
}

impl std::fmt::Display for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        match &self.backend {
            Backend::Local { root } => write!(f, "{}", root.display()),
            Backend::S3(b) => match b.target.prefix.is_empty() {
                true => write!(f, "s3://{}", b.target.bucket),
                false => write!(f, "s3://{}/{}", b.target.bucket, b.target.prefix),
            },
        }
    }
}

/// The `Content-Type` of a published file, from its extension.
pub fn content_type(name: &str) -> &'static str {
    match name.rsplit_once('.').map(|(_, ext)| ext) {
        Some("mp4") => "video/mp4",
        Some("jpg") | Some("jpeg") => "image/jpeg",
        Some("png") => "image/png",
        Some("gif") => "image/gif",
        Some("vtt") => "text/vtt; charset=utf-8",
        Some("srt") => "application/x-subrip; charset=utf-8",
        Some("html") => "text/html; charset=utf-8",
        Some("json") => "application/json",
        Some("jsonl") => "application/jsonl; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// The `Cache-Control` of a published file: a record's files never change under their name
/// once published (a rerender publishes the same bytes), so CDNs may keep them; a page and a
/// manifest are rewritten by reruns, so they are revalidated.
pub fn cache_control(name: &str) -> &'static str {
    match name.rsplit_once('.').map(|(_, ext)| ext) {
        Some("html") => "public, max-age=300, must-revalidate",
        Some("jsonl") | Some("json") => "no-cache",
        _ => "public, max-age=86400",
    }
}

/// `name` if it stays inside the root: relative, `/`-separated, no `..`, no empty part.
fn checked(name: &str) -> Result<&str, StoreError> {
    let bad = |reason| Err(StoreError::Name { name: name.to_string(), reason });
    if name.is_empty() {
        return bad("it is empty");
    }
    if name.starts_with('/') || name.contains('\\') {
        return bad("it must be relative and use `/`");
    }
    if name.split('/').any(|part| part.is_empty() || part == "." || part == "..") {
        return bad("it has an empty, `.` or `..` part");
    }
    Ok(name)
}

fn make_parent(path: &Path) -> Result<(), StoreError> {
    match path.parent() {
        Some(dir) => std::fs::create_dir_all(dir).map_err(|source| StoreError::Io {
            action: "create the folder",
            path: dir.to_path_buf(),
            source,
        }),
        None => Ok(()),
    }
}

fn list_local(dir: &Path, rel: &str, prefix: &str, found: &mut Vec<ObjectInfo>) -> Result<(), StoreError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(source) => return Err(StoreError::Io { action: "list", path: dir.to_path_buf(), source }),
    };
    for entry in entries {
        let entry =
            entry.map_err(|source| StoreError::Io { action: "list", path: dir.to_path_buf(), source })?;
        let file_name = entry.file_name().to_string_lossy().into_owned();
        if file_name.starts_with('.') {
            continue;
        }
        let name = if rel.is_empty() { file_name } else { format!("{rel}/{file_name}") };
        let meta = entry.metadata().map_err(|source| StoreError::Io {
            action: "read the size of",
            path: entry.path(),
            source,
        })?;
        if meta.is_dir() {
            // Only descend where the prefix can still match.
            if prefix.starts_with(&format!("{name}/")) || name.starts_with(prefix) {
                list_local(&entry.path(), &name, prefix, found)?;
            }
        } else if meta.is_file() && name.starts_with(prefix) {
            found.push(ObjectInfo { name, size: meta.len(), modified: meta.modified().ok(), sha256: None });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("billreel-store-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn a_local_store_publishes_reads_lists_and_deletes() {
        let root = temp("local");
        let store = Store::open(root.to_str().unwrap()).unwrap();
        let src = root.with_extension("src");
        std::fs::write(&src, b"video bytes").unwrap();
        store.put_file("run1/ab.mp4", &src, "t1").unwrap();
        store.put_bytes("run1/ab.vtt", b"WEBVTT\n", "t1").unwrap();
        store.put_bytes("manifest.jsonl", b"{}\n", "t1").unwrap();
        assert_eq!(store.get("run1/ab.mp4").unwrap().as_deref(), Some(&b"video bytes"[..]));
        assert_eq!(store.get("run1/none.mp4").unwrap(), None);
        assert_eq!(store.head("run1/ab.vtt").unwrap().map(|i| i.size), Some(7));
        // A writer's temporary file is not an object.
        std::fs::write(root.join("run1/.cd.mp4.partial-t2"), b"half").unwrap();
        let names: Vec<String> = store.list("run1/").unwrap().into_iter().map(|i| i.name).collect();
        assert_eq!(names, ["run1/ab.mp4", "run1/ab.vtt"]);
        assert_eq!(store.list("").unwrap().len(), 3);
        assert!(store.delete("run1/ab.mp4").unwrap());
        assert!(!store.delete("run1/ab.mp4").unwrap());
        assert_eq!(store.head("run1/ab.mp4").unwrap(), None);
        let _ = std::fs::remove_dir_all(&root);
        let _ = std::fs::remove_file(&src);
    }

    #[test]
    fn names_that_leave_the_root_are_refused() {
        let store = Store::open(temp("names").to_str().unwrap()).unwrap();
        for bad in ["", "/etc/passwd", "../x.mp4", "a//b.mp4", "a/./b", "a\\b"] {
            let e = store.put_bytes(bad, b"x", "t").unwrap_err().to_string();
            assert!(e.contains("is not a file name inside the store"), "{bad}: {e}");
        }
        let e = Store::open("ftp://host/x").unwrap_err().to_string();
        assert!(e.contains("`ftp://` is not a store billreel knows"), "{e}");
    }

    #[test]
    fn s3_targets_open_without_a_request_and_bad_ones_are_refused() {
        let options = [("aws_endpoint", "http://127.0.0.1:9"), ("aws_region", "eu-west-1")];
        let store = Store::open_with("s3://videos/run1/", &options).unwrap();
        assert_eq!((store.to_string(), store.local_root()), ("s3://videos/run1".to_string(), None));
        assert!(Store::is_remote("s3://videos") && !Store::is_remote("out/s3:"));
        let e = Store::open("s3://Videos/run1").unwrap_err().to_string();
        assert!(
            e.contains("`s3://Videos/run1` is not a place to store outputs")
                && e.contains("3 to 63 lowercase"),
            "{e}"
        );
        let e = Store::open_with("s3://videos", &[("aws_colour", "blue")]).unwrap_err().to_string();
        assert!(e.contains("`aws_colour` is not an S3 option"), "{e}");
    }

    #[test]
    fn file_kinds_get_their_content_type_and_cache_control() {
        assert_eq!(content_type("a/b.mp4"), "video/mp4");
        assert_eq!(content_type("b.vtt"), "text/vtt; charset=utf-8");
        assert_eq!(content_type("noext"), "application/octet-stream");
        assert_eq!(cache_control("b.mp4"), "public, max-age=86400");
        assert_eq!(cache_control("b.html"), "public, max-age=300, must-revalidate");
        assert_eq!(cache_control("manifest.jsonl"), "no-cache");
    }
}
