//! The S3 side of [`super::Store`]: `s3://bucket/prefix` through Apache Arrow's `object_store`.
//!
//! In: names relative to the prefix, local files and bytes. Out: objects whose `Content-Type`
//! and `Cache-Control` follow the file kind and whose SHA-256 travels with them as user metadata
//! (`x-amz-meta-sha256`), so a resumed run checks an object's existence and checksum with one
//! HEAD, without downloading it. Videos go up as multipart uploads (parts of [`PART_BYTES`], the
//! last one shorter), other files as one PUT; either is atomic on the server, and a multipart
//! upload that fails is aborted, so no part is left billed and nothing shows under the name.
//!
//! The calls stay synchronous for the store's callers (worker threads): a small tokio runtime
//! owned by the store runs each request with `block_on`. Transient failures (5xx such as
//! `SlowDown`, timeouts, dropped connections) are retried with exponential backoff by
//! `object_store` itself ([`retry_config`]); the error after the last try names the bucket, the
//! object and what the server answered.

use std::io::Read;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use futures_util::StreamExt;
use object_store::aws::{AmazonS3, AmazonS3Builder, AmazonS3ConfigKey};
use object_store::path::Path as Key;
use object_store::{
    Attribute, Attributes, BackoffConfig, GetOptions, ObjectStore, ObjectStoreExt, PutMultipartOptions,
    PutOptions, PutPayload, RetryConfig,
};
use sha2::{Digest, Sha256};

use super::{cache_control, content_type, ObjectInfo, StoreError};

/// Multipart part size: above S3's 5 MiB minimum for all parts but the last.
pub const PART_BYTES: usize = 8 << 20;
/// Files bigger than this go up in parts even when they are not videos.
const SINGLE_PUT_MAX: u64 = 16 << 20;
/// The user metadata key holding the object's SHA-256 in hex (`x-amz-meta-sha256`).
pub const SHA256_KEY: &str = "sha256";

/// Where a `s3://` target points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub bucket: String,
    /// Without leading or trailing `/`; empty for the bucket's root.
    pub prefix: String,
}

impl Target {
    /// Parses `s3://bucket` or `s3://bucket/some/prefix/`.
    pub fn parse(target: &str) -> Result<Target, StoreError> {
        let bad = |reason: String| StoreError::Target { target: target.to_string(), reason };
        let rest =
            target.strip_prefix("s3://").ok_or_else(|| bad("it does not start with `s3://`".into()))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(bad("the bucket name is missing: write `s3://BUCKET/PREFIX`".into()));
        }
        // S3's bucket naming rules: 3-63 characters, lowercase letters, digits, `-` and `.`.
        let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.';
        if !(3..=63).contains(&bucket.len()) || !bucket.chars().all(allowed) {
            return Err(bad(format!(
                "`{bucket}` is not a bucket name: 3 to 63 lowercase letters, digits, `-` or `.`"
            )));
        }
        let prefix = prefix.trim_matches('/');
        if prefix.split('/').any(|p| p == "." || p == "..") || prefix.contains("//") {
            return Err(bad(format!("the prefix `{prefix}` has an empty, `.` or `..` part")));
        }
        Ok(Target { bucket: bucket.to_string(), prefix: prefix.to_string() })
    }

    /// The object key of `name`.
    fn key(&self, name: &str) -> Key {
        match self.prefix.is_empty() {
            true => Key::from(name),
            false => Key::from(format!("{}/{name}", self.prefix)),
        }
    }
}

/// How often and how long a request is retried: about 5 tries over a few seconds, which rides
/// out a `SlowDown` burst and a restarting server, and gives up well before a record's budget.
pub fn retry_config() -> RetryConfig {
    RetryConfig {
        backoff: BackoffConfig {
            init_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(5),
            base: 2.0,
        },
        max_retries: 5,
        retry_timeout: Duration::from_secs(60),
    }
}

/// An open bucket and the runtime its requests run on.
pub struct Bucket {
    pub target: Target,
    client: Arc<AmazonS3>,
    runtime: tokio::runtime::Runtime,
}

impl std::fmt::Debug for Bucket {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.debug_struct("Bucket").field("target", &self.target).finish_non_exhaustive()
    }
}

/// The endpoint the AWS environment variables name, if any (S3-compatible servers).
fn endpoint_from_env() -> Option<String> {
    ["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL", "AWS_ENDPOINT"].iter().find_map(|k| std::env::var(k).ok())
}

impl Bucket {
    /// Opens `target` with credentials, region and endpoint from the standard AWS environment
    /// variables, then `options` (object_store's names: `aws_endpoint`, `aws_access_key_id`…).
    /// Nothing is sent yet: a wrong bucket or key shows at the first request.
    pub fn open(target: &str, options: &[(&str, &str)]) -> Result<Bucket, StoreError> {
        let parsed = Target::parse(target)?;
        let mut builder =
            AmazonS3Builder::from_env().with_bucket_name(&parsed.bucket).with_retry(retry_config());
        let mut endpoint = endpoint_from_env();
        for (key, value) in options {
            let key: AmazonS3ConfigKey = key.parse().map_err(|e| StoreError::Target {
                target: target.to_string(),
                reason: format!("`{key}` is not an S3 option: {e}"),
            })?;
            if key == AmazonS3ConfigKey::Endpoint {
                endpoint = Some(value.to_string());
            }
            builder = builder.with_config(key, *value);
        }
        // Plain HTTP only when the endpoint asks for it (a server on the local network).
        if endpoint.is_some_and(|e| e.starts_with("http://")) {
            builder = builder.with_allow_http(true);
        }
        let client = builder.build().map_err(|e| StoreError::Target {
            target: target.to_string(),
            reason: format!("cannot set up the S3 client from the AWS_* environment variables: {e}"),
        })?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("billreel-store")
            .enable_all()
            .build()
            .map_err(|e| StoreError::Target {
                target: target.to_string(),
                reason: format!("cannot start the store's runtime: {e}"),
            })?;
        Ok(Bucket { target: parsed, client: Arc::new(client), runtime })
    }

    fn remote(&self, action: &'static str, name: &str, source: object_store::Error) -> StoreError {
        StoreError::Remote {
            action,
            bucket: self.target.bucket.clone(),
            object: self.target.key(name).to_string(),
            source: Box::new(source),
        }
    }

    /// Uploads the file at `from` under `name` with its kind's headers and its SHA-256.
    pub fn put_file(&self, name: &str, from: &Path) -> Result<(), StoreError> {
        let io = |action, source| StoreError::Io { action, path: from.to_path_buf(), source };
        let size = std::fs::metadata(from).map_err(|e| io("read the size of", e))?.len();
        let sha = crate::output::file_sha256(from).map_err(|e| io("read", e))?;
        if name.ends_with(".mp4") || size > SINGLE_PUT_MAX {
            let file = std::fs::File::open(from).map_err(|e| io("read", e))?;
            self.runtime.block_on(self.put_parts(name, file, &sha)).map_err(|e| match e {
                Upload::Read(source) => io("read", source),
                Upload::Remote(source) => self.remote("upload", name, source),
            })
        } else {
            let bytes = std::fs::read(from).map_err(|e| io("read", e))?;
            self.put_bytes_with(name, bytes, sha)
        }
    }

    pub fn put_bytes(&self, name: &str, bytes: &[u8]) -> Result<(), StoreError> {
        self.put_bytes_with(name, bytes.to_vec(), hex::encode(Sha256::digest(bytes)))
    }

    fn put_bytes_with(&self, name: &str, bytes: Vec<u8>, sha: String) -> Result<(), StoreError> {
        let opts = PutOptions { attributes: attributes(name, &sha), ..Default::default() };
        let key = self.target.key(name);
        self.runtime
            .block_on(self.client.put_opts(&key, PutPayload::from(bytes), opts))
            .map(|_| ())
            .map_err(|e| self.remote("upload", name, e))
    }

    /// A multipart upload, part by part; aborted when any part or the completion fails.
    async fn put_parts(&self, name: &str, mut file: std::fs::File, sha: &str) -> Result<(), Upload> {
        let opts = PutMultipartOptions { attributes: attributes(name, sha), ..Default::default() };
        let mut upload =
            self.client.put_multipart_opts(&self.target.key(name), opts).await.map_err(Upload::Remote)?;
        let result: Result<(), Upload> = async {
            loop {
                let mut part = Vec::with_capacity(PART_BYTES);
                (&mut file).take(PART_BYTES as u64).read_to_end(&mut part).map_err(Upload::Read)?;
                if part.is_empty() {
                    break;
                }
                upload.put_part(PutPayload::from(part)).await.map_err(Upload::Remote)?;
            }
            upload.complete().await.map(|_| ()).map_err(Upload::Remote)
        }
        .await;
        if result.is_err() {
            // Nothing under the name, and no parts left stored (and billed) on the server.
            if let Err(e) = upload.abort().await {
                tracing::warn!(object = %self.target.key(name), error = %e, "could not abort a failed multipart upload; the bucket's lifecycle rule for incomplete uploads will remove its parts");
            }
        }
        result
    }

    pub fn get(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let key = self.target.key(name);
        self.runtime
            .block_on(async {
                match self.client.get(&key).await {
                    Ok(r) => r.bytes().await.map(|b| Some(b.to_vec())),
                    Err(object_store::Error::NotFound { .. }) => Ok(None),
                    Err(e) => Err(e),
                }
            })
            .map_err(|e| self.remote("download", name, e))
    }

    /// Streams `name` into the file `to`; false when there is no such object.
    pub fn download(&self, name: &str, to: &Path) -> Result<bool, StoreError> {
        use std::io::Write;
        let key = self.target.key(name);
        let io = |source| StoreError::Io { action: "write", path: to.to_path_buf(), source };
        self.runtime.block_on(async {
            let mut stream = match self.client.get(&key).await {
                Ok(r) => r.into_stream(),
                Err(object_store::Error::NotFound { .. }) => return Ok(false),
                Err(e) => return Err(self.remote("download", name, e)),
            };
            let mut out = std::io::BufWriter::new(std::fs::File::create(to).map_err(io)?);
            while let Some(chunk) = stream.next().await {
                out.write_all(&chunk.map_err(|e| self.remote("download", name, e))?).map_err(io)?;
            }
            out.flush().map_err(io)?;
            Ok(true)
        })
    }

    pub fn head(&self, name: &str) -> Result<Option<ObjectInfo>, StoreError> {
        let key = self.target.key(name);
        let opts = GetOptions { head: true, ..Default::default() };
        match self.runtime.block_on(self.client.get_opts(&key, opts)) {
            Ok(r) => Ok(Some(ObjectInfo {
                name: name.to_string(),
                size: r.meta.size,
                modified: Some(SystemTime::from(r.meta.last_modified)),
                sha256: r.attributes.get(&Attribute::Metadata(SHA256_KEY.into())).map(|v| v.to_string()),
            })),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(self.remote("look up", name, e)),
        }
    }

    pub fn delete(&self, name: &str) -> Result<bool, StoreError> {
        // S3 answers a DELETE the same whether the object was there: ask first.
        if self.head(name)?.is_none() {
            return Ok(false);
        }
        let key = self.target.key(name);
        self.runtime.block_on(self.client.delete(&key)).map_err(|e| self.remote("delete", name, e))?;
        Ok(true)
    }

    /// Objects whose names start with `prefix`, in name order (without their SHA-256: a
    /// listing does not carry user metadata; [`Bucket::head`] does).
    pub fn list(&self, prefix: &str) -> Result<Vec<ObjectInfo>, StoreError> {
        // object_store lists by whole path segments: list the prefix's folder, then filter.
        let folder = prefix.rsplit_once('/').map_or("", |(dir, _)| dir);
        let root = match (self.target.prefix.is_empty(), folder.is_empty()) {
            (true, true) => None,
            (true, false) => Some(Key::from(folder)),
            (false, true) => Some(Key::from(self.target.prefix.as_str())),
            (false, false) => Some(Key::from(format!("{}/{folder}", self.target.prefix))),
        };
        let strip = match self.target.prefix.is_empty() {
            true => String::new(),
            false => format!("{}/", self.target.prefix),
        };
        let metas = self.runtime.block_on(async {
            let mut stream = self.client.list(root.as_ref());
            let mut found = Vec::new();
            while let Some(meta) = stream.next().await {
                found.push(meta?);
            }
            Ok::<_, object_store::Error>(found)
        });
        let metas = metas.map_err(|e| self.remote("list", prefix, e))?;
        let mut found: Vec<ObjectInfo> = metas
            .into_iter()
            .filter_map(|m| {
                let name = m.location.as_ref().strip_prefix(&strip)?.to_string();
                name.starts_with(prefix).then(|| ObjectInfo {
                    name,
                    size: m.size,
                    modified: Some(SystemTime::from(m.last_modified)),
                    sha256: None,
                })
            })
            .collect();
        found.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(found)
    }
}

/// Why a multipart upload stopped: the local file or the server.
enum Upload {
    Read(std::io::Error),
    Remote(object_store::Error),
}

/// The headers an object is stored with: its kind's `Content-Type` and `Cache-Control`, and
/// its SHA-256 as user metadata.
fn attributes(name: &str, sha: &str) -> Attributes {
    let mut a = Attributes::new();
    a.insert(Attribute::ContentType, content_type(name).into());
    a.insert(Attribute::CacheControl, cache_control(name).into());
    a.insert(Attribute::Metadata(SHA256_KEY.into()), sha.to_string().into());
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_targets_are_parsed_into_bucket_and_prefix() {
        let t = Target::parse("s3://videos-eu/run-2026-11/").unwrap();
        assert_eq!(t, Target { bucket: "videos-eu".into(), prefix: "run-2026-11".into() });
        assert_eq!(t.key("ab.mp4").to_string(), "run-2026-11/ab.mp4");
        let root = Target::parse("s3://videos").unwrap();
        assert_eq!(root.prefix, "");
        assert_eq!(root.key("manifest.jsonl").to_string(), "manifest.jsonl");
        assert_eq!(Target::parse("s3://b.example/a/b").unwrap().key("c.vtt").to_string(), "a/b/c.vtt");
    }

    #[test]
    fn bad_s3_targets_say_what_is_wrong() {
        let cases = [
            ("s3://", "the bucket name is missing"),
            ("s3:///prefix", "the bucket name is missing"),
            ("s3://Videos/x", "`Videos` is not a bucket name"),
            ("s3://ab/x", "`ab` is not a bucket name"),
            ("s3://bucket_1/x", "`bucket_1` is not a bucket name"),
            ("s3://videos/a/../b", "has an empty, `.` or `..` part"),
            ("s3://videos/a//b", "has an empty, `.` or `..` part"),
        ];
        for (target, want) in cases {
            let e = Target::parse(target).unwrap_err().to_string();
            assert!(e.contains(want) && e.contains(target), "{target}: {e}");
        }
    }

    #[test]
    fn objects_carry_their_kind_and_checksum() {
        let a = attributes("ab.mp4", "00ff");
        assert_eq!(a.get(&Attribute::ContentType).map(|v| v.to_string()).as_deref(), Some("video/mp4"));
        assert_eq!(
            a.get(&Attribute::CacheControl).map(|v| v.to_string()).as_deref(),
            Some("public, max-age=86400")
        );
        assert_eq!(
            a.get(&Attribute::Metadata(SHA256_KEY.into())).map(|v| v.to_string()).as_deref(),
            Some("00ff")
        );
    }
}
