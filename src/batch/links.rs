//! Public file names and shards.
//!
//! A bill video is personal financial data, so its public name must not be guessable from the
//! customer id: names are HMAC-SHA256(secret, id), 128 bits in hex. The same id and secret always
//! give the same name, so re-runs and resumes keep links stable. Shards are chosen by a plain
//! hash of the id, so they are stable whatever the order of the input.

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

/// Hex characters of a link name: 128 bits.
pub const NAME_HEX_LEN: usize = 32;

/// Turns record ids into file names.
#[derive(Clone)]
pub enum LinkNamer {
    /// HMAC-SHA256 of the id with this secret.
    Secret(Vec<u8>),
    /// The id itself when it is made of ASCII letters, digits, `-` and `_` (at most 100, not
    /// starting with `-`); otherwise the id made safe plus `.` and 8 hex characters of its
    /// SHA-256. For local demos only: anyone who knows an id can guess its link.
    Guessable,
}

impl std::fmt::Debug for LinkNamer {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        // Never print the secret.
        match self {
            LinkNamer::Secret(_) => f.write_str("LinkNamer::Secret(..)"),
            LinkNamer::Guessable => f.write_str("LinkNamer::Guessable"),
        }
    }
}

impl LinkNamer {
    pub fn name(&self, id: &str) -> String {
        match self {
            LinkNamer::Secret(secret) => {
                let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes keys of any length");
                mac.update(id.as_bytes());
                let full = hex::encode(mac.finalize().into_bytes());
                full[..NAME_HEX_LEN].to_string()
            }
            LinkNamer::Guessable => {
                let safe_char = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
                // An id that is already a good file name is the name (`C0001.mp4`), as
                // `--guessable-links` promises; a leading `-` would read as an option in a shell.
                if !id.is_empty() && id.len() <= 100 && !id.starts_with('-') && id.chars().all(safe_char) {
                    return id.to_string();
                }
                let mut safe: String =
                    id.chars().map(|c| if safe_char(c) { c } else { '_' }).take(100).collect();
                if safe.is_empty() || safe.starts_with('-') {
                    safe.insert(0, '_');
                }
                // Different ids can sanitise alike ("a/b", "a_b"): a short hash keeps them apart,
                // after a `.`, which no id used as it is contains, so no id's name is another's.
                let h = hex::encode(Sha256::digest(id.as_bytes()));
                format!("{safe}.{}", &h[..8])
            }
        }
    }
}

/// Reads the link secret: trims one trailing newline; refuses short secrets.
pub fn secret_from(text: &[u8], source: &str) -> Result<Vec<u8>, String> {
    let mut s = text.to_vec();
    while matches!(s.last(), Some(b'\n' | b'\r')) {
        s.pop();
    }
    if s.len() < 16 {
        return Err(format!(
            "the link secret from {source} is {} bytes; use at least 16 random bytes (e.g. `openssl rand -hex 32`)",
            s.len()
        ));
    }
    Ok(s)
}

/// One slice of a billing run: records whose id hashes to `index` modulo `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl Shard {
    pub const ALL: Shard = Shard { index: 0, count: 1 };

    /// Parses `I/N` (0-based index).
    pub fn parse(text: &str) -> Result<Shard, String> {
        let bad = || format!("`{text}` is not a shard; write I/N with 0 <= I < N, e.g. 0/4");
        let (i, n) = text.split_once('/').ok_or_else(bad)?;
        let (index, count): (u64, u64) =
            (i.trim().parse().map_err(|_| bad())?, n.trim().parse().map_err(|_| bad())?);
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }

    /// From a Kubernetes Indexed Job's environment (`JOB_COMPLETION_INDEX`, `JOB_COMPLETIONS`).
    pub fn from_env(get: impl Fn(&str) -> Option<String>) -> Result<Option<Shard>, String> {
        match (get("JOB_COMPLETION_INDEX"), get("JOB_COMPLETIONS")) {
            (Some(i), Some(n)) => Shard::parse(&format!("{i}/{n}")).map(Some),
            (Some(_), None) => Err(
                "JOB_COMPLETION_INDEX is set but JOB_COMPLETIONS is not; set both (the Job's `completions`)"
                    .into(),
            ),
            _ => Ok(None),
        }
    }

    pub fn contains_id(&self, id: &str) -> bool {
        self.contains_key(id.as_bytes())
    }

    /// Unreadable lines have no id: they are assigned by line number.
    pub fn contains_line(&self, line: usize) -> bool {
        self.contains_key(format!("line:{line}").as_bytes())
    }

    fn contains_key(&self, key: &[u8]) -> bool {
        if self.count == 1 {
            return true;
        }
        let h = Sha256::digest(key);
        let v = u64::from_be_bytes(h[..8].try_into().expect("32-byte digest"));
        v % self.count == self.index
    }

    /// The manifest file of this shard.
    pub fn manifest_name(&self) -> String {
        if self.count == 1 {
            "manifest.jsonl".into()
        } else {
            format!("manifest-{}-of-{}.jsonl", self.index, self.count)
        }
    }

    /// The tag in this shard's temporary file names.
    pub fn temp_tag(&self) -> String {
        format!("{}of{}", self.index, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_stable_distinct_and_do_not_contain_the_id() {
        let n = LinkNamer::Secret(b"0123456789abcdef-test-secret".to_vec());
        let a = n.name("C0001");
        assert_eq!(a.len(), NAME_HEX_LEN);
        assert_eq!(a, n.name("C0001"), "same id and secret, same name");
        assert_ne!(a, n.name("C0002"));
        assert!(!a.contains("C0001") && !a.contains("0001"));
        let other = LinkNamer::Secret(b"another-secret-of-enough-length".to_vec());
        assert_ne!(a, other.name("C0001"), "the secret changes every name");
        assert!(format!("{n:?}").contains(".."), "Debug never shows the secret");
    }

    #[test]
    fn guessable_names_are_the_ids_and_unsafe_ids_stay_apart() {
        let n = LinkNamer::Guessable;
        assert_eq!(n.name("C0001"), "C0001");
        assert_eq!(n.name("cust_7-b"), "cust_7-b");
        let (slash, underscore) = (n.name("a/b"), n.name("a_b"));
        assert_eq!(underscore, "a_b");
        assert!(slash.starts_with("a_b.") && slash.len() == "a_b.".len() + 8, "{slash}");
        for odd in ["", "-rf", "../x", "é"] {
            let name = n.name(odd);
            assert!(name.contains('.') && !name.contains('/'), "{odd:?}: {name}");
            assert!(name.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_'), "{odd:?}: {name}");
        }
    }

    #[test]
    fn shards_partition_the_ids() {
        let shards: Vec<Shard> = (0..3).map(|i| Shard { index: i, count: 3 }).collect();
        for id in (0..3000).map(|i| format!("C{i:05}")) {
            assert_eq!(shards.iter().filter(|s| s.contains_id(&id)).count(), 1, "{id}");
        }
        let sizes: Vec<usize> =
            shards.iter().map(|s| (0..3000).filter(|i| s.contains_id(&format!("C{i:05}"))).count()).collect();
        assert!(sizes.iter().all(|&n| n > 850 && n < 1150), "{sizes:?}");
        assert_eq!(Shard::parse("1/4").unwrap(), Shard { index: 1, count: 4 });
        assert!(Shard::parse("4/4").is_err() && Shard::parse("x").is_err() && Shard::parse("0/0").is_err());
        let env = |k: &str| match k {
            "JOB_COMPLETION_INDEX" => Some("2".to_string()),
            "JOB_COMPLETIONS" => Some("5".to_string()),
            _ => None,
        };
        assert_eq!(Shard::from_env(env).unwrap(), Some(Shard { index: 2, count: 5 }));
        assert_eq!(Shard { index: 2, count: 5 }.manifest_name(), "manifest-2-of-5.jsonl");
    }
}
