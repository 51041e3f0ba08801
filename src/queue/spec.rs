//! What travels with a queued run besides its records: the options that shape its outputs, so
//! every worker renders the run as `batch` would with the same command line.
//!
//! The link secret does not travel: each worker reads its own (BILLREEL_LINK_SECRET or
//! `--link-secret-file`, as `batch` does), and the run keeps only a fingerprint of the one it was
//! enqueued with, so a worker with another secret refuses the run instead of publishing files
//! under names nobody links to.

use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::batch::LinkNamer;
use crate::encode::EncodeSettings;

/// A queued run's options (stored as JSON in the run's `spec` field).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSpec {
    /// The run's name: its Redis keys and its folder in the store.
    pub run: String,
    /// The storyboard inside the bundle, `/`-separated.
    pub storyboard: String,
    /// The assets folder inside the bundle when the run was enqueued with `--assets`.
    #[serde(default)]
    pub assets: Option<String>,
    /// The formats rendered (empty: every format the storyboard declares).
    #[serde(default)]
    pub formats: Vec<String>,
    /// Public URL prefix of the manifest's URLs.
    #[serde(default)]
    pub base_url: Option<String>,
    pub links: Links,
    pub encode: Encode,
    #[serde(default)]
    pub srt: bool,
    #[serde(default)]
    pub burn_captions: bool,
    /// `--limit NAME=VALUE` assignments (and `record-timeout=…`), applied by every worker.
    #[serde(default)]
    pub limits: Vec<String>,
    /// Megabytes of shared segments per worker thread; None: every video encoded whole.
    #[serde(default)]
    pub segment_cache_mb: Option<usize>,
    /// Records in the stream (including unreadable lines, which fail).
    #[serde(default)]
    pub total: u64,
}

/// How the run names its files.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Links {
    /// After the record id (`--guessable-links`, demos only).
    Guessable,
    /// HMAC of the id with a secret the workers hold; this is [`fingerprint`] of it.
    Secret { fingerprint: String },
}

/// The encoder settings, resolved at enqueue time (command line over storyboard over defaults).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Encode {
    pub preset: String,
    pub crf: u8,
    pub tune: Option<String>,
    pub x264_params: Option<String>,
    pub cfr: bool,
}

impl From<&EncodeSettings> for Encode {
    fn from(s: &EncodeSettings) -> Encode {
        Encode {
            preset: s.preset.clone(),
            crf: s.crf,
            tune: s.tune.clone(),
            x264_params: s.x264_params.clone(),
            cfr: s.cfr,
        }
    }
}

impl From<&Encode> for EncodeSettings {
    fn from(e: &Encode) -> EncodeSettings {
        EncodeSettings {
            preset: e.preset.clone(),
            crf: e.crf,
            tune: e.tune.clone(),
            x264_params: e.x264_params.clone(),
            cfr: e.cfr,
        }
    }
}

impl Links {
    /// What the run stores for `namer`.
    pub fn of(namer: &LinkNamer) -> Links {
        match namer {
            LinkNamer::Guessable => Links::Guessable,
            LinkNamer::Secret(s) => Links::Secret { fingerprint: fingerprint(s) },
        }
    }

    /// The namer a worker uses for this run: its own secret when it matches the run's.
    pub fn namer(&self, run: &str, own: Option<&LinkNamer>) -> Result<LinkNamer, String> {
        match (self, own) {
            (Links::Guessable, _) => Ok(LinkNamer::Guessable),
            (Links::Secret { fingerprint: want }, Some(LinkNamer::Secret(s))) if fingerprint(s) == *want => {
                Ok(LinkNamer::Secret(s.clone()))
            }
            (Links::Secret { fingerprint: want }, Some(LinkNamer::Secret(s))) => Err(format!(
                "run {run} was enqueued with another link secret (fingerprint {want}; this worker's is {}): its files would get names nobody links to. \
                 Give the workers the secret the run was enqueued with (BILLREEL_LINK_SECRET or --link-secret-file)",
                fingerprint(s)
            )),
            (Links::Secret { fingerprint: want }, _) => Err(format!(
                "run {run} names its files with a link secret (fingerprint {want}) and this worker has none: \
                 set BILLREEL_LINK_SECRET or give --link-secret-file, with the secret the run was enqueued with"
            )),
        }
    }
}

/// 64 bits of HMAC-SHA256(secret, a fixed label), in hex: tells two secrets apart without
/// revealing either (the names of files are HMACs of record ids, never of this label).
pub fn fingerprint(secret: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(b"billreel link-secret fingerprint v1");
    hex::encode(&mac.finalize().into_bytes()[..8])
}

/// Checks a run name: it becomes Redis keys and a folder of the store.
pub fn check_run_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && !name.starts_with(['.', '-'])
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    match ok {
        true => Ok(()),
        false => Err(format!(
            "the run name `{name}` cannot name a folder and Redis keys: use 1 to 64 ASCII letters, digits, `-`, `_` and `.`, not starting with `.` or `-` (e.g. 2026-11)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_worker_takes_a_run_only_with_the_secret_it_was_enqueued_with() {
        let a = LinkNamer::Secret(b"first-secret-0123456789".to_vec());
        let b = LinkNamer::Secret(b"other-secret-0123456789".to_vec());
        let links = Links::of(&a);
        let Links::Secret { fingerprint: f } = &links else { panic!("{links:?}") };
        assert_eq!(f.len(), 16);
        assert!(!f.contains("first"));
        assert_eq!(links.namer("r1", Some(&a)).unwrap().name("C1"), a.name("C1"));
        let e = links.namer("r1", Some(&b)).unwrap_err();
        assert!(e.contains("run r1 was enqueued with another link secret"), "{e}");
        let e = links.namer("r1", None).unwrap_err();
        assert!(e.contains("this worker has none: set BILLREEL_LINK_SECRET"), "{e}");
        assert_eq!(Links::Guessable.namer("r1", Some(&b)).unwrap().name("C1"), "C1");
    }

    #[test]
    fn run_names_must_be_safe_as_folders_and_keys() {
        assert!(check_run_name("2026-11_a.b").is_ok());
        for bad in ["", "../x", "a/b", ".hidden", "-x", "a b", &"x".repeat(65)] {
            assert!(check_run_name(bad).unwrap_err().contains("cannot name a folder"), "{bad}");
        }
    }
}
